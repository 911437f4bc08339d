/**
 * `--sessions`: one row per session, from the session model (../sessions/): the same rules the server, the API and
 * the live page use. From logs the events are replayed through a {@link SessionModel}; from the store the
 * summaries the server keeps are read back. Either way `stale` is derived at `now` by the model.
 */
import { DEFAULT_STALE_MS } from '../defaults.ts'
import {
  type HookEvent,
  SessionModel,
  type SessionState,
  type SessionSummary,
} from '../sessions/index.ts'

/** Every state, in the order of the session model's docs (the `satisfies` keeps it complete). */
const STATE_SET = {
  starting: true,
  thinking: true,
  'running tool': true,
  'waiting for permission': true,
  'waiting for input': true,
  compacting: true,
  idle: true,
  stale: true,
  ended: true,
} as const satisfies Record<SessionState, true>

export const SESSION_STATES: readonly SessionState[] = Object.keys(STATE_SET) as SessionState[]

/** A state as typed on the command line: `running tool`, `running-tool` and `RUNNING_TOOL` are the same. */
export function parseState(text: string): SessionState | undefined {
  const name = text
    .trim()
    .toLowerCase()
    .replace(/[-_\s]+/g, ' ')
  return Object.hasOwn(STATE_SET, name) ? (name as SessionState) : undefined
}

/** Which sessions to show. */
export interface SessionFilter {
  /** `session_id` prefix. */
  session: string | undefined
  /** Sessions with an event at or after this time. */
  since: number | undefined
  /** Only these states (as derived at `now`, so `stale` can be asked for). */
  states: ReadonlySet<SessionState> | undefined
  /** The N most recently active (after the other filters). */
  last: number | undefined
}

/** The summaries that pass `filter`, in the order given (most recently active first). */
export function keepSessions(
  summaries: Iterable<SessionSummary>,
  filter: SessionFilter,
): SessionSummary[] {
  const kept: SessionSummary[] = []
  for (const summary of summaries) {
    if (filter.last !== undefined && kept.length >= filter.last) break
    if (filter.session !== undefined && !summary.session_id.startsWith(filter.session)) continue
    if (filter.since !== undefined && !((summary.last_event_time ?? -Infinity) >= filter.since)) {
      continue
    }
    if (filter.states !== undefined && !filter.states.has(summary.state)) continue
    kept.push(summary)
  }
  return kept
}

/** Replays events (in log order) through a session model: `add` each, then `summaries(now)`. */
export class SessionReplay {
  private readonly model = new SessionModel({ staleAfterMs: DEFAULT_STALE_MS })
  private readonly prefix: string | undefined

  /** `prefix`: only sessions whose id starts with it are modelled (the others are skipped early). */
  constructor(prefix: string | undefined) {
    this.prefix = prefix
  }

  add(event: HookEvent): void {
    if (this.prefix !== undefined) {
      const id = event.session_id
      if (typeof id !== 'string' || !id.startsWith(this.prefix)) return
    }
    this.model.apply(event)
  }

  /** Every session as of `now`, most recently active first. */
  summaries(now: number): SessionSummary[] {
    return this.model.summaries(now)
  }
}

/**
 * Stored summaries (as the server wrote them, at the time of each session's last event) as of `now`: a session
 * still thinking or running a tool with no event for longer than the stale threshold reads as `stale`. The order
 * is kept.
 */
export function summariesAt(stored: readonly SessionSummary[], now: number): SessionSummary[] {
  const model = new SessionModel({ staleAfterMs: DEFAULT_STALE_MS })
  const out: SessionSummary[] = []
  for (const summary of stored) {
    model.load(summary)
    const current = model.summary(summary.session_id, now)
    model.forget(summary.session_id)
    out.push(current ?? summary)
  }
  return out
}

/** "5s", "3m", "2h", "4d" since `time`, relative to `now`; '?' when the time is unknown. */
export function ago(time: number | null, now: number): string {
  if (time === null || Number.isNaN(time)) return '?'
  const seconds = Math.max(0, Math.floor((now - time) / 1000))
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`
  return `${Math.floor(seconds / 86400)}d`
}
