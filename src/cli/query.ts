/**
 * `observatory query`: its arguments, its help and its exit codes. The work (reading, filtering, following the
 * logs) is the observatory's query room; see docs/install-and-query.md.
 */
import { type CommandIO, usageError, writeText } from '../observatory/install/index.ts'
import {
  type OutputFormat,
  type QueryOptions,
  type QueryRunOptions,
  runQueryWith,
} from '../observatory/query/index.ts'
import { parseDuration, parseOptions, runCommand } from './command.ts'

export const QUERY_HELP = `Usage: observatory query [--log FILE]... [filters] [--table | --jsonl | --csv] [--watch | --sessions]

Read observatory logs (JSON lines) from --log files, or from stdin when no --log is given
(stdin must then be a pipe or a file: a terminal is refused with exit code 2).
For each --log FILE, rotated copies FILE.N ... FILE.2, FILE.1 are read first, oldest first.

Filters:
  --event NAME[,NAME]   only these events (repeatable)
  --tool NAME           only events with this tool_name
  --session PREFIX      only sessions whose id starts with PREFIX
  --since WHEN          only events at or after WHEN: an ISO time (2026-02-09T10:00:00Z,
                        2026-02-09 10:00, 2026-02-09) or a duration ago (30s, 10m, 2h, 1d, 1w, 1h30m)
  -n, --last N          only the last N matching events (with --sessions: the N latest sessions)

Output (default: --table on a terminal, --jsonl otherwise):
  --table               aligned columns: time, event, session, tool, summary
  --jsonl               the matching lines, unchanged
  --csv                 ts,event,session_id,tool_name,summary (RFC 4180)

Modes:
  --watch               after printing, follow the logs for new lines (Ctrl-C stops);
                        handles rotation (FILE renamed to FILE.1, new FILE) and truncation
  --sessions            one row per session: state, last tool, event count, last activity, cwd
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
    event: { type: 'string', multiple: true },
    tool: { type: 'string' },
    session: { type: 'string' },
    since: { type: 'string' },
    last: { type: 'string', short: 'n' },
    table: { type: 'boolean' },
    jsonl: { type: 'boolean' },
    csv: { type: 'boolean' },
    watch: { type: 'boolean' },
    sessions: { type: 'boolean' },
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
  const sessions = values.sessions === true
  const watch = values.watch === true
  if (sessions && watch) throw usageError('--sessions and --watch exclude each other')
  if (sessions && (values.event !== undefined || values.tool !== undefined)) {
    throw usageError('--sessions works on all events; --event and --tool do not apply to it')
  }
  return {
    logs: values.log ?? [],
    events,
    tool: values.tool,
    session: values.session,
    since: values.since !== undefined ? parseSince(values.since, now) : undefined,
    last,
    format,
    watch,
    sessions,
  }
}

/**
 * `observatory query [options]`: resolves to the exit code (0 done, 1 a log could not be read, 2 usage mistake).
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
