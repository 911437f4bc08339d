/**
 * The page's one connection to the live stream (`GET /events`, Server-Sent Events): every view subscribes here.
 *
 * - EventSource reconnects by itself and sends the last `id:` it saw as Last-Event-ID, so the server replays
 *   what was missed from the store: no event is lost or doubled across a reconnect.
 * - Pause holds the events that arrive (nothing is dropped) and hands them to the subscribers, in order, on
 *   resume. Pause is the page's, not a view's: the header shows it wherever one is.
 * - Approvals (`event: approval`, with `serve --approve-from-page`) go to their own subscribers, and are never
 *   held by pause: a request waiting for a person has a deadline. They carry no `id:` and are not replayed after a
 *   reconnect, so their subscribers read `GET /api/approvals` again whenever the stream (re)opens.
 */
import type { ApiEvent, Approval } from './api.ts'

/** An event as the views use it, from the API (`/api/events`) or from the stream. */
export interface EventRow {
  /** The store's id (the SSE `id:`), or undefined when the server keeps no store. */
  id: number | undefined
  /** When the server received it, epoch ms. */
  ts: number
  event: string
  session_id: string | null
  tool_name: string | null
  tool_use_id: string | null
  agent_id: string | null
  /** The event's line, parsed. */
  data: Record<string, unknown>
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null)

export function rowFromApi(e: ApiEvent): EventRow {
  return {
    id: e.id,
    ts: Date.parse(e.ts),
    event: e.event,
    session_id: e.session_id,
    tool_name: e.tool_name,
    tool_use_id: e.tool_use_id,
    agent_id: e.agent_id,
    data: e.data,
  }
}

/** An SSE message: its `id:` and its line (undefined when the line is not a JSON object). */
export function rowFromLine(
  id: number | undefined,
  line: string,
  now: number,
): EventRow | undefined {
  let data: unknown
  try {
    data = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined
  const d = data as Record<string, unknown>
  const ts = typeof d._ts === 'string' ? Date.parse(d._ts) : Number.NaN
  return {
    id,
    // `_ts` is to the second; the API's ts to the millisecond. The arrival time is closer for a live event.
    ts: Number.isNaN(ts) ? now : Math.max(ts, Math.min(now, ts + 999)),
    event: str(d._event) ?? 'Unknown',
    session_id: str(d.session_id),
    tool_name: str(d.tool_name),
    tool_use_id: str(d.tool_use_id),
    agent_id: str(d.agent_id),
    data: d,
  }
}

export type FeedStatus = 'connecting' | 'live' | 'down'

export interface FeedState {
  status: FeedStatus
  /** A note for the status pill (events skipped by a slow page…). */
  note: string
  paused: boolean
  /** Events held while paused. */
  held: number
}

type Listener = (row: EventRow) => void

/** A change to the approvals, as the stream announces it. */
export interface ApprovalChange {
  type: 'pending' | 'resolved' | 'expired' | 'withdrawn'
  approval: Approval
}

const APPROVAL_TYPES: ReadonlySet<string> = new Set(['pending', 'resolved', 'expired', 'withdrawn'])

/** An `event: approval` message's data, or undefined when it is not one. */
export function approvalChange(data: string): ApprovalChange | undefined {
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { type, approval } = value as { type?: unknown; approval?: unknown }
  if (typeof type !== 'string' || !APPROVAL_TYPES.has(type)) return undefined
  if (typeof approval !== 'object' || approval === null) return undefined
  if (typeof (approval as { id?: unknown }).id !== 'string') return undefined
  return { type: type as ApprovalChange['type'], approval: approval as Approval }
}

export class LiveFeed {
  readonly #listeners = new Set<Listener>()
  readonly #approvalListeners = new Set<(change: ApprovalChange) => void>()
  readonly #stateListeners = new Set<(state: FeedState) => void>()
  readonly #held: EventRow[] = []
  #source: EventSource | undefined
  #state: FeedState = { status: 'connecting', note: '', paused: false, held: 0 }

  /** Opens the stream. */
  start(url = '/events'): void {
    const source = new EventSource(url)
    this.#source = source
    source.onopen = () => this.#set({ status: 'live', note: '' })
    source.onerror = () => {
      const closed = source.readyState === EventSource.CLOSED
      this.#set({ status: closed ? 'down' : 'connecting', note: '' })
    }
    source.onmessage = (message: MessageEvent<string>) => {
      const id = /^\d+$/.test(message.lastEventId) ? Number(message.lastEventId) : undefined
      const row = rowFromLine(id, message.data, Date.now())
      if (row === undefined) return
      if (this.#state.paused) {
        this.#held.push(row)
        this.#set({ held: this.#held.length })
        return
      }
      this.#emit(row)
    }
    source.addEventListener('dropped', (message) => {
      const data = (message as MessageEvent<string>).data
      this.#set({ note: `${data} events skipped (this page was too slow)` })
    })
    source.addEventListener('approval', (message) => {
      const change = approvalChange((message as MessageEvent<string>).data)
      if (change === undefined) return
      for (const listener of this.#approvalListeners) listener(change)
    })
  }

  stop(): void {
    this.#source?.close()
    this.#source = undefined
  }

  get state(): FeedState {
    return this.#state
  }

  /** Every event from now on (while not paused); returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Every change to the approvals from now on (pause or not); returns the unsubscribe function. */
  onApproval(listener: (change: ApprovalChange) => void): () => void {
    this.#approvalListeners.add(listener)
    return () => this.#approvalListeners.delete(listener)
  }

  onState(listener: (state: FeedState) => void): () => void {
    this.#stateListeners.add(listener)
    listener(this.#state)
    return () => this.#stateListeners.delete(listener)
  }

  setPaused(paused: boolean): void {
    if (paused === this.#state.paused) return
    this.#set({ paused })
    if (!paused) {
      for (const row of this.#held.splice(0)) this.#emit(row)
      this.#set({ held: 0 })
    }
  }

  togglePause(): void {
    this.setPaused(!this.#state.paused)
  }

  #emit(row: EventRow): void {
    for (const listener of this.#listeners) listener(row)
  }

  #set(change: Partial<FeedState>): void {
    this.#state = { ...this.#state, ...change }
    for (const listener of this.#stateListeners) listener(this.#state)
  }
}
