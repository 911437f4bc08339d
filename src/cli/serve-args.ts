/**
 * `observatory serve` arguments → ObservatoryOptions. Every mistake becomes a usage `UserError` whose message is
 * the one line the CLI prints (compatible with the original's wording where it has one, e.g. --tee).
 */
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  DB_ENV,
  DEFAULT_BIND,
  DEFAULT_LOG_MAX_BYTES,
  DEFAULT_LOG_MAX_FILES,
  DEFAULT_MAX_BODY,
  DEFAULT_PORT,
  DEFAULT_RETAIN_MS,
  DEFAULT_SOCKET_MODE,
  DEFAULT_STALE_MS,
  defaultStorePath,
  type ObservatoryOptions,
  PORT_ENV,
  SOCKET_ENV,
  socketPathFrom,
  TOKEN_ENV,
  usageError,
} from '../observatory/index.ts'
import { DEFAULT_APPROVAL_HOOK_TIMEOUT } from '../observatory/install/index.ts'
import { parseDuration } from './command.ts'

/** Most OTLP records (and, separately, spans) in flight (`--otlp-queue`). */
export const DEFAULT_OTLP_QUEUE = 2048
/** One OTLP export request's time limit, retries included (`--otlp-timeout`). */
export const DEFAULT_OTLP_TIMEOUT_MS = 10_000

/** How long a PermissionRequest waits for a person on the page (`--approval-timeout`). */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 60_000
/** The longest wait: below Claude Code's longest hook timeout (600 s), with a margin for the answer. */
const MAX_APPROVAL_TIMEOUT_MS = 590_000

export const SERVE_HELP = `Usage: observatory serve [options]

Receive Claude Code hook events (POST /hook?event=NAME, JSON body) and stream them as JSON lines.

Listening (with neither --socket nor --port, nor their env vars, it listens on both defaults):
  --socket PATH          Unix socket (default $${SOCKET_ENV}, else private to you:
                         $XDG_RUNTIME_DIR/claude-observatory.sock, or without that variable
                         <tmpdir>/claude-observatory-UID/observatory.sock in a 0700 directory)
  --mode OCTAL           socket file permissions, e.g. 0660, 660 or 0o660 (default 0${DEFAULT_SOCKET_MODE.toString(8)})
  --port N               TCP port (default $${PORT_ENV}, else ${DEFAULT_PORT})
  --bind ADDR            TCP address (default ${DEFAULT_BIND})

Output (data to stdout, messages to stderr):
  --output-socket PATH   send lines to readers of this Unix socket instead of stdout
  --tee                  with --output-socket: to stdout as well
  --pretty-json          indented JSON on stdout
  --pretty-yaml          YAML on stdout (coloured on a terminal)
  --log FILE             also append every event to FILE (written before the 200)
  --log-max-bytes N      rotate the log past N bytes (default ${DEFAULT_LOG_MAX_BYTES}; 0 = never)
  --log-max-files N      keep N rotated files FILE.1 … FILE.N (default ${DEFAULT_LOG_MAX_FILES})
  --fsync                fsync the log after every event, and the store at every commit
  --quiet                no access lines on stderr

Store (history, sessions and search; SQLite):
  --db PATH              the database (default $${DB_ENV}, else
                         $XDG_STATE_HOME/hooks-observatory/events.db or ~/.local/state/…)
  --no-db                keep history in memory for this run only
  --no-store             keep no history at all: a stream, as the Python original is (the
                         sessions are still tracked, in memory; /api/events, search, /api/tools
                         and the telemetry answer 503)
  --retain DURATION      prune events older than this, e.g. 7d, 12h (default ${DEFAULT_RETAIN_MS / 86_400_000}d; 0 = keep all)
  --stale DURATION       a session thinking or running a tool with no event for this long
                         is shown as stale (default ${DEFAULT_STALE_MS / 60_000}m)

Decisions (answers to PreToolUse and PermissionRequest; docs/policy.md):
  --policy FILE          decide by this policy file (repeatable, merged in order); default:
                         those of .claude/observatory-policy.yaml (project) and
                         $XDG_CONFIG_HOME/hooks-observatory/policy.yaml that exist
  --policy-mode MODE     enforce (default): send the decisions; shadow: decide and record
                         them, but answer "no decision"
  --approve-from-page    a PermissionRequest no rule decides waits for a person on the
                         dashboard (Allow, Deny, Allow for this session)
  --approval-timeout DURATION
                         how long it waits before "no decision" (default ${DEFAULT_APPROVAL_TIMEOUT_MS / 1000}s); keep it
                         below the PermissionRequest hook's timeout (observatory install
                         --approvals sets ${DEFAULT_APPROVAL_HOOK_TIMEOUT} s)
  --audit FILE           the decisions' hash-chained audit log (default
                         $XDG_STATE_HOME/hooks-observatory/audit.jsonl or ~/.local/state/…)

Export (OpenTelemetry, OTLP/HTTP JSON; docs/scale-out.md):
  --otlp-endpoint URL    also export every event as a log record and every tool call and
                         turn as a span to this OTLP/HTTP endpoint (another observatory, a
                         collector); /v1/logs and /v1/traces are appended. Lossy: hooks
                         never wait for it; what is dropped is counted in /stats
  --otlp-header NAME=VALUE
                         send this header with every export (repeatable), e.g.
                         "Authorization=Bearer TOKEN"; OTEL_EXPORTER_OTLP_HEADERS is read too
  --otlp-queue N         most records, and most spans, waiting to be exported; beyond, they
                         are dropped and counted (default ${DEFAULT_OTLP_QUEUE})
  --otlp-timeout DURATION
                         one export's time limit, retries included (default ${DEFAULT_OTLP_TIMEOUT_MS / 1000}s)

Safety (TCP):
  --allow-host NAME      accept this Host header too (repeatable; loopback names always allowed)
  --token TOKEN          require "Authorization: Bearer TOKEN" on TCP (default $${TOKEN_ENV})
  --max-body BYTES       largest accepted body (default ${DEFAULT_MAX_BODY})

Engine:
  --engine raw|node      this project's HTTP server (default) or node:http, same output
  --trace                print every connection's raw bytes to stderr
  -h, --help             this help
`

/**
 * Parse `serve` arguments. `env` supplies the environment variables; `warn` receives non-fatal notices; `where`
 * is where the default policy files are looked for.
 */
export function parseServeArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
  where: { cwd: string; home: string } = { cwd: process.cwd(), home: homedir() },
): ObservatoryOptions | 'help' {
  let values: ReturnType<typeof parse>['values']
  try {
    values = parse(argv).values
  } catch (error) {
    throw usageError(cleanParseError(error))
  }
  if (values.help === true) return 'help'

  if (values['pretty-json'] === true && values['pretty-yaml'] === true) {
    throw usageError('Error: --pretty-json and --pretty-yaml are mutually exclusive')
  }
  if (values.tee === true && values['output-socket'] === undefined) {
    throw usageError('Error: --tee requires --output-socket')
  }

  const mode = values.mode === undefined ? DEFAULT_SOCKET_MODE : parseOctal(values.mode)

  let socket = values.socket
  if (socket === undefined && env[SOCKET_ENV]) socket = env[SOCKET_ENV]
  let port = values.port === undefined ? undefined : parsePort(values.port, '--port')
  if (port === undefined && env[PORT_ENV] !== undefined && env[PORT_ENV] !== '') {
    try {
      port = parsePort(env[PORT_ENV] ?? '', `$${PORT_ENV}`)
    } catch (error) {
      // The original warns and falls back to its default. Here the variable is ignored as if unset, so the
      // defaults apply as they would without it: the default socket as well as the default port. (Taking the
      // port alone would silently close the socket every installed hook sends to.)
      // The usage error's message is a whole "Error: …" line; as a warning it keeps only the reason.
      warn(
        `Warning: ${(error as Error).message.replace(/^Error: /, '')}; ignoring it (default port ${DEFAULT_PORT})`,
      )
    }
  }
  if (socket === undefined && port === undefined) {
    socket = socketPathFrom(undefined, env)
    port = DEFAULT_PORT
  }
  if (socket === '') throw usageError('Error: --socket needs a path')

  const engine = values.engine ?? 'raw'
  if (engine !== 'raw' && engine !== 'node') {
    throw usageError(`Error: --engine must be raw or node, not "${engine}"`)
  }

  if (engine === 'node' && values.trace === true) {
    throw usageError('Error: --trace needs --engine raw (node:http does not show its raw bytes)')
  }

  if (values['no-db'] === true && values.db !== undefined) {
    throw usageError('Error: --db and --no-db are mutually exclusive')
  }
  const noStore = values['no-store'] === true
  if (
    noStore &&
    (values.db !== undefined || values['no-db'] === true || values.retain !== undefined)
  ) {
    throw usageError('Error: --no-store excludes --db, --no-db and --retain')
  }
  const retainMs =
    values.retain === undefined
      ? DEFAULT_RETAIN_MS
      : parseDurationOption(values.retain, '--retain', true)
  const staleAfterMs =
    values.stale === undefined
      ? DEFAULT_STALE_MS
      : parseDurationOption(values.stale, '--stale', false)
  let dbPath = values['no-db'] === true ? ':memory:' : (values.db ?? env[DB_ENV])
  if (dbPath === '') throw usageError('Error: --db needs a path')
  dbPath ??= defaultStorePath(env)

  const token = values.token ?? env[TOKEN_ENV]
  if (token !== undefined && token.length === 0)
    throw usageError('Error: --token must not be empty')

  const policyFiles = values.policy ?? []
  if (policyFiles.some((file) => file === '')) throw usageError('Error: --policy needs a path')
  const policyMode = values['policy-mode'] ?? 'enforce'
  if (policyMode !== 'enforce' && policyMode !== 'shadow') {
    throw usageError(`Error: --policy-mode must be enforce or shadow, not "${policyMode}"`)
  }
  const approveFromPage = values['approve-from-page'] === true
  if (values['approval-timeout'] !== undefined && !approveFromPage) {
    throw usageError('Error: --approval-timeout requires --approve-from-page')
  }
  const approvalTimeoutMs =
    values['approval-timeout'] === undefined
      ? DEFAULT_APPROVAL_TIMEOUT_MS
      : parseDurationOption(values['approval-timeout'], '--approval-timeout', false)
  if (approvalTimeoutMs > MAX_APPROVAL_TIMEOUT_MS) {
    throw usageError(
      `Error: --approval-timeout must be under ${MAX_APPROVAL_TIMEOUT_MS / 1000}s (it must stay below the hook's timeout, at most 600 s), not "${values['approval-timeout']}"`,
    )
  }
  if (values.audit === '') throw usageError('Error: --audit needs a path')
  const otlpExport = parseOtlpExport(values)
  const auditPath = values.audit ?? join(dirname(defaultStorePath(env, where.home)), 'audit.jsonl')

  return {
    socket: socket === undefined ? undefined : { path: socket, mode },
    tcp: port === undefined ? undefined : { port, host: values.bind ?? DEFAULT_BIND },
    outputSocket: values['output-socket'],
    tee: values.tee === true,
    format:
      values['pretty-json'] === true
        ? 'pretty-json'
        : values['pretty-yaml'] === true
          ? 'pretty-yaml'
          : 'jsonl',
    log:
      values.log === undefined
        ? undefined
        : {
            path: values.log,
            maxBytes: parseCount(values['log-max-bytes'], '--log-max-bytes', DEFAULT_LOG_MAX_BYTES),
            maxFiles: parseCount(values['log-max-files'], '--log-max-files', DEFAULT_LOG_MAX_FILES),
            fsync: values.fsync === true,
          },
    quiet: values.quiet === true,
    allowHosts: values['allow-host'] ?? [],
    token,
    maxBodySize: parseCount(values['max-body'], '--max-body', DEFAULT_MAX_BODY),
    engine,
    trace: values.trace === true,
    store: noStore ? undefined : { path: dbPath, retainMs, fsync: values.fsync === true },
    staleAfterMs,
    decisions: {
      policyFiles,
      mode: policyMode,
      approveFromPage,
      approvalTimeoutMs,
      auditPath,
      cwd: where.cwd,
      home: where.home,
      env,
    },
    otlpExport,
  }
}

/** `--otlp-endpoint`, `--otlp-header`, `--otlp-queue`, `--otlp-timeout`. */
function parseOtlpExport(
  values: ReturnType<typeof parse>['values'],
): ObservatoryOptions['otlpExport'] {
  const endpoint = values['otlp-endpoint']
  if (endpoint === undefined) {
    for (const flag of ['otlp-header', 'otlp-queue', 'otlp-timeout'] as const) {
      if (values[flag] !== undefined) throw usageError(`Error: --${flag} requires --otlp-endpoint`)
    }
    return undefined
  }
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw usageError(`Error: --otlp-endpoint must be an http:// or https:// URL, not "${endpoint}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`Error: --otlp-endpoint must be an http:// or https:// URL, not "${endpoint}"`)
  }
  const headers: Record<string, string> = {}
  for (const header of values['otlp-header'] ?? []) {
    const equals = header.indexOf('=')
    const name = equals === -1 ? '' : header.slice(0, equals).trim()
    const value = equals === -1 ? '' : header.slice(equals + 1).trim()
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) {
      throw usageError(
        `Error: --otlp-header must be NAME=VALUE with a header name and a one-line value, not "${header}"`,
      )
    }
    headers[name] = value
  }
  const maxQueue = parseCount(values['otlp-queue'], '--otlp-queue', DEFAULT_OTLP_QUEUE)
  if (maxQueue < 1) throw usageError('Error: --otlp-queue must be at least 1')
  const timeoutMs =
    values['otlp-timeout'] === undefined
      ? DEFAULT_OTLP_TIMEOUT_MS
      : parseDurationOption(values['otlp-timeout'], '--otlp-timeout', false)
  return { endpoint: url.href, headers, maxQueue, timeoutMs }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      socket: { type: 'string' },
      mode: { type: 'string' },
      port: { type: 'string' },
      bind: { type: 'string' },
      'output-socket': { type: 'string' },
      tee: { type: 'boolean' },
      'pretty-json': { type: 'boolean' },
      'pretty-yaml': { type: 'boolean' },
      log: { type: 'string' },
      'log-max-bytes': { type: 'string' },
      'log-max-files': { type: 'string' },
      fsync: { type: 'boolean' },
      quiet: { type: 'boolean' },
      'allow-host': { type: 'string', multiple: true },
      token: { type: 'string' },
      'max-body': { type: 'string' },
      engine: { type: 'string' },
      trace: { type: 'boolean' },
      db: { type: 'string' },
      'no-db': { type: 'boolean' },
      'no-store': { type: 'boolean' },
      retain: { type: 'string' },
      stale: { type: 'string' },
      policy: { type: 'string', multiple: true },
      'policy-mode': { type: 'string' },
      'approve-from-page': { type: 'boolean' },
      'approval-timeout': { type: 'string' },
      audit: { type: 'string' },
      'otlp-endpoint': { type: 'string' },
      'otlp-header': { type: 'string', multiple: true },
      'otlp-queue': { type: 'string' },
      'otlp-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

/** node:util's messages are long and mention internals; keep the part a user needs. */
function cleanParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const unknown = /Unknown option '([^']+)'/.exec(message)
  if (unknown) return `Error: unknown option ${unknown[1]} (see observatory serve --help)`
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message)
  if (missing) return `Error: ${missing[1]!.replace(/^-\w, /, '')} needs a value`
  const positional = /Unexpected argument '([^']+)'/.exec(message)
  if (positional)
    return `Error: unexpected argument ${positional[1]} (see observatory serve --help)`
  return `Error: ${message.split('\n', 1)[0]}`
}

/** `660`, `0660` or `0o660`: three octal digits at most, so the value is 0..0o777 by construction. */
function parseOctal(text: string): number {
  const digits = /^(?:0o|0)?([0-7]{1,3})$/i.exec(text)?.[1]
  if (digits === undefined) {
    throw usageError(
      `Error: --mode must be octal permissions from 0 to 0777 like 0660, not "${text}"`,
    )
  }
  return Number.parseInt(digits, 8)
}

function parsePort(text: string, what: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) {
    throw usageError(`Error: ${what} must be a port number 0-65535, not "${text}"`)
  }
  return Number(text)
}

function parseCount(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback
  if (!/^[0-9]{1,15}$/.test(text))
    throw usageError(`Error: ${what} must be a whole number, not "${text}"`)
  return Number(text)
}

/** A duration such as `30d` or `90m`; `0` too where `zero` (it means "never"). */
function parseDurationOption(text: string, what: string, zero: boolean): number {
  if (zero && text === '0') return 0
  const ms = parseDuration(text)
  if (ms === undefined || ms === 0) {
    throw usageError(
      `Error: ${what} must be a duration like 90s, 10m, 12h, 30d or 1w${zero ? ' (0: keep everything)' : ''}, not "${text}"`,
    )
  }
  return ms
}
