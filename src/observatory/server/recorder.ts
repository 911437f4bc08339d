/**
 * The recorder: what happens to an event besides its line going to the sinks. It numbers the event, moves the
 * session model on, and hands the store the row, the session's new summary and the tool calls that changed, all
 * in the store's next group commit (which the hook's 200 waits for, like the log).
 *
 * The model sees every event in the order the server handled them, with the time the server received it (to the
 * millisecond: `_ts` on the line keeps the original's whole seconds).
 */
import type { JsonObject } from '../encoding/index.ts'
import {
  type ApplyResult,
  type HookEvent,
  hookEventFromJson,
  replayLines,
  SessionModel,
} from '../sessions/index.ts'
import type { EventFields, Store } from '../store/index.ts'

/** Sessions replayed from their events at start (the others are restored from their stored summaries). */
const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000

export interface Recorded {
  id: number
  /** Settles once the store committed the event; undefined without a store. */
  committed: Promise<void> | undefined
  /** The event as the session model read it (the keys it reads: tool_input, cwd, permission_mode…). */
  event: HookEvent
  /**
   * The call the event is about: its `tool_use_id`, or for a PermissionRequest (which has none) the running call
   * the session model linked it to; null when there is none.
   */
  toolUseId: string | null
}

export class Recorder {
  readonly model: SessionModel
  readonly store: Store | undefined
  #nextId: number

  constructor(options: { store?: Store | undefined; staleAfterMs: number }) {
    this.store = options.store
    this.model = new SessionModel({ staleAfterMs: options.staleAfterMs })
    this.#nextId = (this.store?.lastId() ?? 0) + 1
  }

  /**
   * Bring the model back to where it was: sessions still open and active within a day are replayed from their
   * events (so their running calls and pending permissions are known again); the rest get their stored summary.
   */
  restore(now: number): { replayed: number; loaded: number } {
    const store = this.store
    if (store === undefined) return { replayed: 0, loaded: 0 }
    let replayed = 0
    let loaded = 0
    for (const summary of store.sessions({ limit: Number.MAX_SAFE_INTEGER })) {
      const recent = (summary.last_event_time ?? 0) >= now - REPLAY_WINDOW_MS
      if (summary.state !== 'ended' && recent) {
        replayLines(this.model, store.sessionEvents(summary.session_id))
        replayed++
      } else {
        this.model.load(summary)
        loaded++
      }
    }
    return { replayed, loaded }
  }

  /** Record one enriched event whose line is `line`; `ts` is when the server received it. */
  record(enriched: JsonObject, line: string, ts: Date, name: string): Recorded {
    const time = ts.getTime()
    const event = hookEventFromJson(enriched)
    const store = this.store
    // Without a store only a PermissionRequest's result is read (callOf): no call copies for the others.
    const result = this.model.apply(
      event,
      time,
      store !== undefined || name === 'PermissionRequest',
    )
    const toolUseId = callOf(event, name, result, time)
    if (store === undefined) return { id: this.#nextId++, committed: undefined, event, toolUseId }
    const appended = store.append(line, fieldsOf(event, time, name))
    this.#nextId = appended.id + 1
    if (result.session_id !== '') {
      const summary = this.model.summary(result.session_id, time)
      if (summary !== undefined) store.putSession(summary)
      for (const call of result.tool_calls) store.putToolCall(call)
    }
    return { id: appended.id, committed: appended.committed, event, toolUseId }
  }
}

/** The event's `tool_use_id`; for a PermissionRequest, the call it was just linked to (requested now, open). */
function callOf(event: HookEvent, name: string, result: ApplyResult, time: number): string | null {
  if (name !== 'PermissionRequest') return stringOrNull(event.tool_use_id)
  for (const call of result.tool_calls) {
    const permission = call.permission
    if (permission !== null && permission.requested === time && permission.resolved === null) {
      return call.tool_use_id
    }
  }
  return null
}

function fieldsOf(event: HookEvent, ts: number, name: string): EventFields {
  return {
    ts,
    event: name,
    session_id: stringOrNull(event.session_id),
    tool_name: stringOrNull(event.tool_name),
    tool_use_id: stringOrNull(event.tool_use_id),
    agent_id: stringOrNull(event.agent_id),
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}
