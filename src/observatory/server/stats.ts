/**
 * Live statistics about the events the hub published: totals, per event type, the rate over the last minute,
 * and the most used tools; and the requests the server refused before the application saw them.
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

/**
 * Requests refused for what the client sent at the HTTP level: those the transport answered itself (malformed,
 * a declared body past the limit, a head too slow: its `onReject`), and hook bodies that failed to read (past
 * --max-body while arriving, broken, too slow). Not the application's own refusals (401, 403, 404…).
 */
export interface RejectedCounts {
  total: number
  /** Status code → count, lowest status first. */
  byStatus: Record<string, number>
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
  /**
   * The most used tools, most used first; ties in name order. One count per tool call, not per event: see
   * `Stats.record` for which events count.
   */
  topTools: ToolCount[]
  /** Requests refused for what the client sent (malformed, too large, too slow), by status. */
  rejected: RejectedCounts
}

/** The ring's length: one slot per second of the window. */
const WINDOW = 60
const OTHER = '(other)'
/** Most `tool_use_id`s of PreToolUse events remembered until their PostToolUse (the oldest are forgotten). */
const MAX_OPEN_CALLS = 4096
/** Longer ids are not remembered (they come from clients; Claude Code's are about 30 characters). */
const MAX_CALL_ID_LENGTH = 256

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
  /** `tool_use_id`s of the PreToolUse events whose PostToolUse has not arrived, oldest first. */
  readonly #openCalls = new Set<string>()
  #sawPreToolUse = false
  #rejectedTotal = 0
  readonly #rejectedByStatus = new Map<number, number>()

  constructor(options: StatsOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#topTools = options.topTools ?? 10
    this.#maxNames = options.maxNames ?? 1000
    this.#startedMs = this.#now()
    this.#newestSecond = Math.floor(this.#startedMs / 1000)
  }

  /**
   * Count one event. Its second is taken from `meta.ts`, the moment the server received it.
   *
   * Top tools count tool calls, not events: one call sends PreToolUse, maybe PermissionRequest, then PostToolUse
   * or PostToolUseFailure, all with the same `tool_name`. The rule:
   * - PreToolUse counts the call (its `tool_use_id` is remembered until the call ends);
   * - PostToolUse and PostToolUseFailure count only a call whose PreToolUse was not received: their
   *   `tool_use_id` was not remembered (the observatory started during the call, or PreToolUse is not among the
   *   hooks installed), or, for an event without a `tool_use_id`, no PreToolUse has been received at all;
   * - PermissionRequest and every other event never count (they belong to a call counted otherwise).
   */
  record(meta: EventMeta): void {
    this.#total++
    bump(this.#byType, meta.event, this.#maxNames)
    if (meta.tool !== undefined && this.#isNewToolCall(meta)) {
      bump(this.#byTool, meta.tool, this.#maxNames)
    }

    const second = Math.floor(meta.ts.getTime() / 1000)
    this.#advanceTo(second)
    // Concurrent requests may be stamped a little out of order: an event from an earlier second still inside
    // the window goes to that second's slot; one older than the window only counts in the totals.
    if (second > this.#newestSecond - WINDOW) this.#slots[mod(second, WINDOW)] += 1
  }

  /** Count a refused request: the transport's `onReject`, or a hook body that could not be read. */
  recordRejected(status: number): void {
    this.#rejectedTotal++
    this.#rejectedByStatus.set(status, (this.#rejectedByStatus.get(status) ?? 0) + 1)
  }

  /** Whether this event starts a tool call not counted yet (the rule is on `record`). */
  #isNewToolCall(meta: EventMeta): boolean {
    const id =
      meta.toolUseId !== undefined && meta.toolUseId.length <= MAX_CALL_ID_LENGTH
        ? meta.toolUseId
        : undefined
    switch (meta.event) {
      case 'PreToolUse':
        this.#sawPreToolUse = true
        if (id !== undefined) {
          this.#openCalls.delete(id)
          this.#openCalls.add(id)
          if (this.#openCalls.size > MAX_OPEN_CALLS) {
            this.#openCalls.delete(this.#openCalls.values().next().value!)
          }
        }
        return true
      case 'PostToolUse':
      case 'PostToolUseFailure':
        if (id === undefined) return !this.#sawPreToolUse
        return !this.#openCalls.delete(id)
      default:
        return false
    }
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
      rejected: {
        total: this.#rejectedTotal,
        byStatus: Object.fromEntries(
          [...this.#rejectedByStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => [String(s), n]),
        ),
      },
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
