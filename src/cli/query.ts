/**
 * `observatory query`: its arguments, its help and its exit codes. The work (reading, filtering, following the
 * store or the logs) is the observatory's query room; see docs/install-and-query.md.
 */
import {
  type CommandIO,
  DB_ENV,
  DEFAULT_STALE_MS,
  usageError,
  writeText,
} from '../observatory/install/index.ts'
import {
  type OutputFormat,
  parseState,
  type QueryOptions,
  type QueryRunOptions,
  runQueryWith,
  SESSION_STATES,
} from '../observatory/query/index.ts'
import { parseDuration, parseOptions, runCommand } from './command.ts'

const STALE_MINUTES = Math.round(DEFAULT_STALE_MS / 60_000)

/** `text` in lines of at most `width` characters after an indent of `indent` spaces. */
function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = []
  let current = ''
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current)
      current = word
    } else current = current === '' ? word : `${current} ${word}`
  }
  if (current !== '') lines.push(current)
  return lines.map((line) => `${' '.repeat(indent)}${line}`).join('\n')
}

export const QUERY_HELP = `Usage: observatory query [--log FILE... | --db PATH] [filters] [--table | --jsonl | --csv]
                         [--watch | --sessions [--state STATE]]

Read the observatory's events and show, filter or follow them. Where they come from:
  --log FILE            these JSON-lines logs (repeatable); for each, the rotated copies
                        FILE.N ... FILE.2, FILE.1 are read first, oldest first
  --db PATH             this store (the SQLite file observatory serve writes)
  (neither)             stdin when a log is piped or redirected in (... | observatory query);
                        else the store at $${DB_ENV}, else the default
                        ($XDG_STATE_HOME/hooks-observatory/events.db or ~/.local/state/...);
                        no store there is a usage error (exit code 2)
The store is opened read-only: a running server keeps writing to it.

Filters:
  --event NAME[,NAME]   only these events (repeatable)
  --tool NAME           only events with this tool_name (whole name, any case:
                        mcp__github__create_issue)
  --session PREFIX      only sessions whose id starts with PREFIX
  --since WHEN          only events at or after WHEN: an ISO time (2026-02-09T10:00:00Z,
                        2026-02-09 10:00, 2026-02-09) or a duration ago (30s, 10m, 2h, 1d, 1w, 1h30m)
  --search TEXT         full-text search (the store only): every word or "quoted phrase" must
                        appear; word* is a prefix
  -n, --last N          only the last N matching events (with --sessions: the N latest sessions)

Output (default: --table on a terminal, --jsonl otherwise):
  --table               aligned columns: time, event, session, tool, summary
  --jsonl               the matching lines, unchanged
  --csv                 ts,event,session_id,tool_name,summary (RFC 4180)

Modes:
  --watch               after printing, follow new events (Ctrl-C stops): the store is polled
                        every 250 ms; logs are followed through rotation and truncation
  --sessions            one row per session, from the session model: state and since when, the
                        tool it is about, events, last activity, project (JSON lines: the whole
                        summary); from the store, with Claude Code's telemetry, also cost (USD)
                        and tokens (JSON: usage, with cache read/creation); a session at
                        work (starting, thinking, running a tool, compacting) with no event
                        for ${STALE_MINUTES} minutes reads as stale;
                        --since keeps the sessions active since then
  --state STATE[,STATE] with --sessions: only these states (repeatable):
${wrap(`${SESSION_STATES.join(', ')} (running-tool works too)`, 70, 24)}
  -h, --help            show this help

Lines that are not JSON objects are skipped and counted on stderr.
`

/** Parses `--since`: a duration before `now` or an ISO 8601 date/time (local time when it has no offset). */
export function parseSince(value: string, now: number): number {
  const trimmed = value.trim()
  const duration = parseDuration(trimmed)
  if (duration !== undefined) return now - duration
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed)
  if (dateOnly !== null) {
    const [, y, m, d] = dateOnly
    const time = new Date(Number(y), Number(m) - 1, Number(d)).getTime()
    if (!Number.isNaN(time) && Number(m) >= 1 && Number(m) <= 12 && Number(d) <= 31) return time
  } else if (
    /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(trimmed)
  ) {
    const time = Date.parse(trimmed.replace(' ', 'T'))
    if (!Number.isNaN(time)) return time
  }
  throw usageError(
    `--since: '${value}' is neither a time (2026-02-09T10:00:00Z) nor a duration (10m, 2h, 1d)`,
  )
}

/**
 * `observatory query` arguments → what to do; `UserError` (USAGE) for a mistake. `stdoutIsTerminal` picks the
 * default format (a table for people, the lines themselves for pipes); `now` anchors `--since 10m`.
 */
export function parseQueryArgs(
  argv: string[],
  stdoutIsTerminal: boolean,
  now: number,
): QueryOptions | 'help' {
  const values = parseOptions(argv, {
    log: { type: 'string', multiple: true },
    db: { type: 'string' },
    event: { type: 'string', multiple: true },
    tool: { type: 'string' },
    session: { type: 'string' },
    since: { type: 'string' },
    search: { type: 'string' },
    last: { type: 'string', short: 'n' },
    table: { type: 'boolean' },
    jsonl: { type: 'boolean' },
    csv: { type: 'boolean' },
    watch: { type: 'boolean' },
    sessions: { type: 'boolean' },
    state: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help) return 'help'

  const formats = (['table', 'jsonl', 'csv'] as const).filter((f) => values[f] === true)
  if (formats.length > 1) {
    throw usageError(`choose one output format (got ${formats.map((f) => `--${f}`).join(' and ')})`)
  }
  const format: OutputFormat = formats[0] ?? (stdoutIsTerminal ? 'table' : 'jsonl')

  let events: Set<string> | undefined
  if (values.event !== undefined) {
    events = new Set()
    for (const item of values.event) {
      for (const name of item.split(',')) {
        const trimmed = name.trim()
        if (trimmed === '') throw usageError(`--event has an empty name in '${item}'`)
        events.add(trimmed)
      }
    }
  }
  let last: number | undefined
  if (values.last !== undefined) {
    if (!/^\d+$/.test(values.last)) {
      throw usageError(`-n must be a whole number (got '${values.last}')`)
    }
    last = Number(values.last)
  }
  if (values.log?.some((path) => path === '')) throw usageError('--log needs a file name')
  if (values.db === '') throw usageError('--db needs a path')
  if (values.log !== undefined && values.db !== undefined) {
    throw usageError('--log and --db exclude each other: read the logs or the store')
  }
  if (values.tool === '') throw usageError('--tool needs a name')
  const search = values.search
  if (search !== undefined && search.trim() === '') throw usageError('--search needs some text')
  if (search !== undefined && values.log !== undefined) {
    throw usageError('--search needs the store (full-text search); with --log, use grep')
  }
  const sessions = values.sessions === true
  const watch = values.watch === true
  if (sessions && watch) throw usageError('--sessions and --watch exclude each other')
  if (
    sessions &&
    (values.event !== undefined || values.tool !== undefined || search !== undefined)
  ) {
    throw usageError(
      '--sessions works on all events; --event, --tool and --search do not apply to it',
    )
  }
  let states: QueryOptions['states']
  if (values.state !== undefined) {
    if (!sessions) throw usageError('--state goes with --sessions')
    states = new Set()
    for (const item of values.state) {
      for (const name of item.split(',')) {
        const state = parseState(name)
        if (state === undefined) {
          throw usageError(`--state: '${name.trim()}' is not one of ${SESSION_STATES.join(', ')}`)
        }
        states.add(state)
      }
    }
  }
  return {
    logs: values.log ?? [],
    db: values.db,
    events,
    tool: values.tool,
    session: values.session,
    since: values.since !== undefined ? parseSince(values.since, now) : undefined,
    last,
    search,
    format,
    watch,
    sessions,
    states,
  }
}

/**
 * `observatory query [options]`: resolves to the exit code (0 done, 1 a log or the store could not be read, 2 usage
 * mistake, or no source: no --log, nothing piped in and no store).
 * Problems are reported as one line on stderr, never as a stack trace. `run` holds the test and embedding knobs
 * (an AbortSignal for `--watch`, the clock); `--watch` stops on SIGINT by default.
 */
export function runQuery(
  argv: string[],
  io: CommandIO,
  run: QueryRunOptions = {},
): Promise<number> {
  return runCommand('observatory query', io, 0, async () => {
    const options = parseQueryArgs(argv, io.stdout.isTTY === true, (run.now ?? Date.now)())
    if (options === 'help') {
      await writeText(io.stdout, QUERY_HELP)
      return 0
    }
    return runQueryWith(options, io, run)
  })
}
