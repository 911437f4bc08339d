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
}
