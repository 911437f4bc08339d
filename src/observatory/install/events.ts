/**
 * Which hook events `observatory install` writes: `--events all|default|LIST` resolved against the events
 * catalogue, and `--list-events`, the catalogue as a table. The catalogue is advice: an unknown name is used as
 * given, with a warning naming the closest known one.
 */
import {
  ALL_EVENTS,
  closestEvent,
  DEFAULT_EVENTS,
  EVENT_CATALOGUE,
  isKnownEvent,
} from '../events/index.ts'
import { usageError } from './command-io.ts'

/** What `--events` selected. */
export interface EventSelection {
  /** Event names, without repeats: sets in catalogue order, added names in the order given. */
  events: string[]
  /** One line per unknown name mentioned (without the command's name), e.g. for a typo. */
  warnings: string[]
}

/** The names `--events` understands as sets, whatever their case. */
const SETS: Readonly<Record<string, readonly string[]>> = {
  all: ALL_EVENTS,
  default: DEFAULT_EVENTS,
}

/**
 * Resolves an `--events` value: comma-separated items, each `all` (every passive event), `default`, an event
 * name, `+ITEM` (add) or `-ITEM` (remove), read left to right. A value whose first item is `+…` or `-…` starts
 * from the default set (`+FileChanged,-Notification`); otherwise from nothing (`Stop,PreToolUse`,
 * `default,+PostToolBatch`, `all,-Stop`). Throws a usage error for an empty or malformed item, or when
 * nothing is left.
 */
export function selectEvents(spec: string): EventSelection {
  const items = spec.split(',').map((item) => item.trim())
  const first = items[0] ?? ''
  const selected: string[] =
    first.startsWith('+') || first.startsWith('-') ? [...DEFAULT_EVENTS] : []
  const warnings: string[] = []
  const warned = new Set<string>()
  for (const item of items) {
    const sign = item.startsWith('-') ? '-' : '+'
    const name = item.startsWith('+') || item.startsWith('-') ? item.slice(1) : item
    if (name === '') throw usageError(`--events has an empty name in '${spec}'`)
    const set = SETS[name.toLowerCase()]
    if (set === undefined && !/^[A-Za-z]+$/.test(name)) {
      throw usageError(`--events: '${name}' is not an event name (letters only)`)
    }
    if (set === undefined && !isKnownEvent(name) && !warned.has(name)) {
      warned.add(name)
      warnings.push(`unknown event '${name}' (closest known: ${closestEvent(name)}); used as given`)
    }
    for (const event of set ?? [name]) {
      const index = selected.indexOf(event)
      if (sign === '+' && index < 0) selected.push(event)
      if (sign === '-' && index >= 0) selected.splice(index, 1)
    }
  }
  if (selected.length === 0) throw usageError(`--events '${spec}' leaves no events to install`)
  return { events: selected, warnings }
}

const yesNo = (flag: boolean): string => (flag ? 'yes' : 'no')

/** `observatory install --list-events`: the catalogue as a plain-text table, with a legend. */
export function eventTable(): string {
  const rows: string[][] = [
    ['EVENT', 'DEFAULT', 'ALL', 'HTTP', 'DECIDES', 'DESCRIPTION'],
    ...EVENT_CATALOGUE.map((event) => [
      event.name,
      yesNo(event.installByDefault),
      yesNo(event.passive),
      yesNo(event.http),
      yesNo(event.decides),
      event.description,
    ]),
  ]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  const lines = rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  '),
  )
  return (
    `${lines.join('\n')}\n\n` +
    `DEFAULT  installed without --events (${DEFAULT_EVENTS.length} events)\n` +
    `ALL      installed by --events all (${ALL_EVENTS.length} events): a hook there observes without changing\n` +
    `         what Claude Code does, whatever the observatory answers, late or never\n` +
    `HTTP     Claude Code runs "type": "http" hooks for it; --transport http writes the tcp curl command\n` +
    `         for the others\n` +
    `DECIDES  a hook's answer can change what Claude Code does (the observatory answers with an empty\n` +
    `         body, which decides nothing)\n` +
    `Names not listed are accepted as given (a newer Claude Code may have more events).\n`
  )
}
