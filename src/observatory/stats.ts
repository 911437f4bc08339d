/**
 * Live statistics about the events the hub published: totals, per event type, the rate over the last minute,
 * and the most used tools.
 *
 * The rate uses a ring of 60 per-second counters instead of a timer: each slot is "the events of second S", and
 * the ring is moved forward lazily, whenever an event arrives or a snapshot is taken, by clearing the slots of the
 * seconds that went by without events. Recording an event is O(1) and an idle server does no work at all.
 */
import type { EventMeta } from './hub.ts'

export interface StatsOptions {
  /** Milliseconds since the epoch. Default `Date.now`; tests inject a fake clock. */
  now?: () => number
  /** How many tools `snapshot().topTools` lists. Default 10. */
  topTools?: number
  /**
   * Most distinct event names, and separately most distinct tool names, counted individually; further names are
   * counted under `"(other)"`. Both come from clients, so this keeps memory bounded. Default 1000.
   */
  maxNames?: number
}

/** One entry of the top-tools list. */
export interface ToolCount {
  tool: string
  count: number
}

/** A JSON-able picture of the statistics at one moment. */
export interface StatsSnapshot {
  /** When the statistics started (ISO 8601). */
  startedAt: string
  uptimeSeconds: number
  totalEvents: number
  /** Event name → count, most frequent first. */
  eventsByType: Record<string, number>
  /** Events received during the last 60 seconds (the current, partial second included). */
  eventsLastMinute: number
  /** `eventsLastMinute` divided by the seconds it covers (fewer than 60 right after start). */
  eventsPerSecond: number
  /** Per-second counts for the last 60 seconds, oldest first, the current second last. */
  perSecond: number[]
  /** The most used tools, most used first; ties in name order. */
  topTools: ToolCount[]
}

/** The ring's length: one slot per second of the window. */
const WINDOW = 60
const OTHER = '(other)'

export class Stats {
  readonly #now: () => number
  readonly #topTools: number
  readonly #maxNames: number
  readonly #startedMs: number
  readonly #slots = new Float64Array(WINDOW)
  /** The absolute second (ms / 1000, floored) the newest slot counts. */
  #newestSecond: number
  #total = 0
  readonly #byType = new Map<string, number>()
  readonly #byTool = new Map<string, number>()

  constructor(options: StatsOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#topTools = options.topTools ?? 10
    this.#maxNames = options.maxNames ?? 1000
    this.#startedMs = this.#now()
    this.#newestSecond = Math.floor(this.#startedMs / 1000)
  }

  /** Count one event. Its second is taken from `meta.ts`, the moment the server received it. */
  record(meta: EventMeta): void {
    this.#total++
    bump(this.#byType, meta.event, this.#maxNames)
    if (meta.tool !== undefined) bump(this.#byTool, meta.tool, this.#maxNames)

    const second = Math.floor(meta.ts.getTime() / 1000)
    this.#advanceTo(second)
    // Concurrent requests may be stamped a little out of order: an event from an earlier second still inside
    // the window goes to that second's slot; one older than the window only counts in the totals.
    if (second > this.#newestSecond - WINDOW) this.#slots[mod(second, WINDOW)] += 1
  }

  /** The statistics now, with `extra` (readers connected, drop counters...) merged in. */
  snapshot<Extra extends object = Record<never, never>>(extra?: Extra): StatsSnapshot & Extra {
    const nowMs = this.#now()
    this.#advanceTo(Math.floor(nowMs / 1000))

    const perSecond: number[] = []
    let lastMinute = 0
    for (let s = this.#newestSecond - WINDOW + 1; s <= this.#newestSecond; s++) {
      const count = this.#slots[mod(s, WINDOW)]
      perSecond.push(count)
      lastMinute += count
    }
    // Right after start the window is not full yet: divide by the seconds that actually elapsed.
    const covered = Math.min(WINDOW, Math.max(1, (nowMs - this.#startedMs) / 1000))

    const base: StatsSnapshot = {
      startedAt: new Date(this.#startedMs).toISOString(),
      uptimeSeconds: Math.max(0, Math.floor((nowMs - this.#startedMs) / 1000)),
      totalEvents: this.#total,
      eventsByType: Object.fromEntries(sortedCounts(this.#byType)),
      eventsLastMinute: lastMinute,
      eventsPerSecond: Math.round((lastMinute / covered) * 100) / 100,
      perSecond,
      topTools: sortedCounts(this.#byTool)
        .slice(0, this.#topTools)
        .map(([tool, count]) => ({ tool, count })),
    }
    return { ...base, ...(extra as Extra) }
  }

  /** Move the newest slot forward to `second`, zeroing the slots of the seconds skipped over. */
  #advanceTo(second: number): void {
    const gap = second - this.#newestSecond
    if (gap <= 0) return
    if (gap >= WINDOW) {
      this.#slots.fill(0)
    } else {
      for (let s = this.#newestSecond + 1; s <= second; s++) this.#slots[mod(s, WINDOW)] = 0
    }
    this.#newestSecond = second
  }
}

/** Count `name`, folding names beyond the first `max` distinct ones into "(other)". */
function bump(counts: Map<string, number>, name: string, max: number): void {
  const current = counts.get(name)
  if (current !== undefined) counts.set(name, current + 1)
  else if (counts.size < max) counts.set(name, 1)
  else counts.set(OTHER, (counts.get(OTHER) ?? 0) + 1)
}

/** Entries by count, highest first; equal counts in name order, so snapshots are deterministic. */
function sortedCounts(counts: Map<string, number>): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/** `%` that is never negative (seconds before 1970 would otherwise index the ring with a negative number). */
function mod(n: number, m: number): number {
  return ((n % m) + m) % m
}
