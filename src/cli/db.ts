/**
 * `observatory db`: its arguments, its help and its exit codes. The work is the observatory's db room.
 */
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  type CommandIO,
  DB_ENV,
  DEFAULT_STALE_MS,
  parseArgsError,
  usageError,
  writeText,
} from '../observatory/install/index.ts'
import { parseDuration, runCommand } from './command.ts'

export const DB_HELP = `Usage: observatory db <command> [--db PATH] [options]

The observatory's store (SQLite): every event the server acknowledged, its sessions and tool calls.

Commands:
  import LOG...          load JSON-lines logs written by --log (each with its rotated copies
                         LOG.N ... LOG.1, oldest first); lines already stored are skipped, so
                         importing twice adds nothing; the sessions they touch are rebuilt
  info                   where the store is, its events, sessions, time span and size
  prune --older-than D   delete events older than D (7d, 12h, 2w) now

Options:
  --db PATH              the database (default $${DB_ENV}, else
                         $XDG_STATE_HOME/hooks-observatory/events.db or ~/.local/state/...)
  -h, --help             this help

Stop the observatory that uses the store before import or prune (one writer at a time).
`

type DbCommand =
  | { command: 'import'; db: string | undefined; logs: string[] }
  | { command: 'info'; db: string | undefined }
  | { command: 'prune'; db: string | undefined; olderThanMs: number }

export function parseDbArgs(argv: string[]): DbCommand | 'help' {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    throw parseArgsError(error) ?? error
  }
  const { values, positionals } = parsed
  if (values.help === true) return 'help'
  const [command, ...rest] = positionals
  if (values.db === '') throw usageError('--db needs a path')
  switch (command) {
    case 'import':
      if (rest.length === 0) throw usageError('db import needs at least one log file')
      if (values['older-than'] !== undefined) throw usageError('--older-than is for db prune')
      return { command, db: values.db, logs: rest }
    case 'info':
    case 'prune': {
      if (rest.length > 0) throw usageError(`db ${command} takes no file names (got '${rest[0]}')`)
      if (command === 'info') {
        if (values['older-than'] !== undefined) throw usageError('--older-than is for db prune')
        return { command, db: values.db }
      }
      const text = values['older-than']
      if (text === undefined) throw usageError('db prune needs --older-than DURATION (e.g. 30d)')
      const olderThanMs = parseDuration(text)
      if (olderThanMs === undefined || olderThanMs === 0) {
        throw usageError(`--older-than must be a duration like 12h, 7d or 2w, not '${text}'`)
      }
      return { command, db: values.db, olderThanMs }
    }
    case undefined:
      throw usageError('db needs a command: import, info or prune (see observatory db --help)')
    default:
      throw usageError(`db: unknown command '${command}' (import, info or prune)`)
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'older-than': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

function when(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString()
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`
}

/** `observatory db …`: resolves to the exit code (0 done, 1 the store or a log failed, 2 usage mistake). */
export function runDb(
  argv: string[],
  io: CommandIO,
  now: () => number = Date.now,
): Promise<number> {
  return runCommand('observatory db', io, 0, async () => {
    const args = parseDbArgs(argv)
    if (args === 'help') {
      await writeText(io.stdout, DB_HELP)
      return 0
    }
    const { Store, defaultStorePath } = await import('../observatory/store/index.ts')
    const path = args.db ?? (io.env[DB_ENV] || undefined) ?? defaultStorePath(io.env, io.homedir)
    if (args.command !== 'import' && !existsSync(path)) {
      throw usageError(`no store at ${path} (give --db PATH, or run observatory serve first)`)
    }
    const store = Store.open({ path, retainMs: 0 })
    try {
      switch (args.command) {
        case 'import': {
          const { importLogs } = await import('../observatory/db/index.ts')
          const result = await importLogs(store, args.logs, {
            staleAfterMs: DEFAULT_STALE_MS,
            progress: (file) => io.stderr.write(`importing ${file}\n`),
          })
          await writeText(
            io.stdout,
            `imported ${result.imported} events from ${result.files.length} file${result.files.length === 1 ? '' : 's'} into ${path}` +
              ` (${result.duplicates} already there, ${result.unreadable} unreadable lines skipped;` +
              ` ${result.sessions} session${result.sessions === 1 ? '' : 's'} rebuilt)\n`,
          )
          return 0
        }
        case 'info': {
          const info = store.info()
          await writeText(
            io.stdout,
            `store:    ${info.path}\n` +
              `events:   ${info.events}\n` +
              `sessions: ${info.sessions}\n` +
              `oldest:   ${when(info.oldest)}\n` +
              `newest:   ${when(info.newest)}\n` +
              `size:     ${size(info.bytes)}${info.events > 0 ? ` (${Math.round(info.bytes / info.events)} bytes per event)` : ''}\n` +
              `schema:   version ${info.schema_version}\n`,
          )
          return 0
        }
        case 'prune': {
          const removed = await store.prune(now() - args.olderThanMs)
          await writeText(
            io.stdout,
            `pruned ${removed} event${removed === 1 ? '' : 's'} from ${path}\n`,
          )
          return 0
        }
      }
    } finally {
      await store.close()
    }
  })
}
