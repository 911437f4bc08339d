import type { OtlpExportOptions } from '../otlp/exporter.ts'

/** Everything `observatory serve` can be told, after the CLI has parsed and checked it. */
export interface ObservatoryOptions {
  /** Unix socket listener (absent: none). */
  socket?: { path: string; mode: number } | undefined
  /** TCP listener (absent: none). `port: 0` picks a free port (tests). */
  tcp?: { port: number; host: string } | undefined
  /** Readers' Unix socket; when set, lines go there instead of stdout (unless `tee`). */
  outputSocket?: string | undefined
  /** With `outputSocket`: stdout as well. */
  tee: boolean
  /** How events look on stdout. The log file and readers always get compact JSON lines. */
  format: 'jsonl' | 'pretty-json' | 'pretty-yaml'
  log?: { path: string; maxBytes: number; maxFiles: number; fsync: boolean } | undefined
  /** No access lines on stderr. */
  quiet: boolean
  /** Extra Host header values accepted on TCP (loopback names are always accepted). */
  allowHosts: readonly string[]
  /** When set, TCP requests (all but /health) require `Authorization: Bearer <token>`; Unix sockets do not. */
  token?: string | undefined
  /** Largest accepted request body in bytes (413 beyond). */
  maxBodySize: number
  /** Which HTTP server runs the application. */
  engine: 'raw' | 'node'
  /** Wire trace of every connection on stderr. */
  trace: boolean
  /**
   * The store (SQLite): a file, or `':memory:'` for this run only (`--no-db`). Absent: no store at all (the
   * sessions are still tracked in memory; the API's history and search answer 503).
   */
  store?: { path: string; retainMs: number; fsync: boolean } | undefined
  /** A session thinking or running a tool with no event for this long is `stale`. */
  staleAfterMs: number
  /**
   * Decisions on PreToolUse and PermissionRequest (server/decisions.ts). Absent: none (every hook gets the empty
   * body), as before policies.
   */
  decisions?: DecisionOptions | undefined
  /**
   * Export every event as an OTLP log record and every tool call and turn as a span (otlp/exporter.ts). Absent:
   * nothing is exported.
   */
  otlpExport?: OtlpExportOptions | undefined
}

/** `--policy`, `--policy-mode`, `--approve-from-page`, `--approval-timeout`, `--audit`. */
export interface DecisionOptions {
  /** `--policy FILE…` as given (relative to the working directory); empty: the default files that exist. */
  policyFiles: readonly string[]
  /** enforce: decisions are sent; shadow: decided and recorded, the usual empty body sent. */
  mode: 'enforce' | 'shadow'
  /** A PermissionRequest no rule decided waits for a person on the page. */
  approveFromPage: boolean
  /** How long it waits (then: no decision, Claude Code asks in the terminal). */
  approvalTimeoutMs: number
  /** The audit log (opened only when a policy or approvals are on). */
  auditPath: string
  /** Where the default policy files are looked for. */
  cwd: string
  home: string
  env: Readonly<Record<string, string | undefined>>
}
