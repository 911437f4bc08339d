/**
 * `GET /events`, the live page's stream: every event line the hub publishes, as Server-Sent Events.
 */
import type { Context } from '../../framework/index.ts'
import type { Response } from '../../transport/index.ts'
import type { Store } from '../store/index.ts'
import type { ApprovalListener } from './approvals.ts'
import type { EventHub } from './hub.ts'

/** Where the stream hears of approvals (`Approvals`). */
export interface ApprovalFeed {
  subscribe(listener: ApprovalListener): () => void
}

/** Lines waiting for one client before it is behind. */
const MAX_QUEUED = 1000
/** Events read from the store per step of a catch-up. */
const REPLAY_PAGE = 500

/**
 * Server-Sent Events (HTML Living Standard §9.2): `text/event-stream`, each event an `id:` line (the event's id)
 * and a `data:` line (its JSON line, which has no newline), then a blank line.
 *
 * A client that reconnects sends the last id it saw as `Last-Event-ID` (browsers do this by themselves; the query
 * parameter `lastEventId` does the same for clients that cannot set headers): the events after it are read from
 * the store first, then the live ones follow, none twice and none missing. A client that falls behind (more than
 * 1000 lines waiting) catches up from the store the same way; without a store it loses lines, announced with an
 * `event: dropped` whose data is how many. Either way it never slows the hub.
 *
 * With approvals from the page, changes to the approvals come as named events, `event: approval` with data
 * `{"type":"pending"|"resolved"|"expired"|"withdrawn","approval":{…}}` and no `id:` (so they never move the
 * client's Last-Event-ID, and are not replayed: a page that (re)connects reads `GET /api/approvals`). They have a
 * queue of their own, which a catch-up from the store does not clear (at most 1000 waiting; beyond, the oldest
 * go).
 *
 * `live` holds a function that ends each open stream (shutdown ends them all: they would otherwise hold the server
 * open); a stream adds itself and removes itself when it ends.
 */
export function liveStream(
  c: Context,
  hub: EventHub,
  live: Set<() => void>,
  store?: Store | undefined,
  approvals?: ApprovalFeed | undefined,
): Response {
  const queue: { line: string; id: number | undefined }[] = []
  /** `event: approval` blocks waiting to be sent. */
  const named: string[] = []
  let wake: (() => void) | undefined
  let ended = false
  let dropped = 0
  /** The last id sent (or asked for); with a store, a gap after it is filled from there. */
  const asked = lastEventId(c)
  let behind = store !== undefined && asked !== undefined
  // With a store every event from now on can be read again, so a client that falls behind never loses one.
  let cursor = asked ?? store?.lastId()
  const end = (): void => {
    ended = true
    wake?.()
  }
  const subscription = hub.subscribe(
    (line, meta) => {
      if (queue.length >= MAX_QUEUED) {
        if (store !== undefined) {
          // What is queued is in the store too: read it all from there instead.
          behind = true
          queue.length = 0
        } else {
          dropped++
        }
        wake?.()
        return
      }
      queue.push({ line, id: meta.id })
      wake?.()
    },
    { onEnd: end },
  )
  const unsubscribeApprovals = approvals?.subscribe((type, approval) => {
    if (named.length >= MAX_QUEUED) named.shift()
    named.push(`event: approval\ndata: ${JSON.stringify({ type, approval })}\n\n`)
    wake?.()
  })
  live.add(end)
  c.req.signal.addEventListener('abort', end, { once: true })

  /** Events after `cursor` from the store, a page at a time, until it has nothing newer. */
  async function* catchUp(from: Store): AsyncGenerator<string> {
    while (!ended) {
      await from.flush()
      const page = from.events({ after: cursor, limit: REPLAY_PAGE })
      if (page.events.length === 0) return
      let chunk = ''
      for (const event of page.events) {
        chunk += `id: ${event.id}\ndata: ${event.line}\n\n`
        cursor = event.id
      }
      yield chunk
    }
  }

  async function* events(): AsyncGenerator<string> {
    try {
      yield ': connected\n\n'
      while (!ended) {
        if (behind && store !== undefined) {
          behind = false
          yield* catchUp(store)
          continue
        }
        if (queue.length === 0 && dropped === 0 && named.length === 0) {
          const heartbeat = setTimeout(() => wake?.(), 15_000)
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          clearTimeout(heartbeat)
          wake = undefined
          if (queue.length === 0 && dropped === 0 && named.length === 0 && !behind && !ended) {
            yield ': keep-alive\n\n'
          }
          continue
        }
        let chunk = ''
        if (dropped > 0) {
          chunk += `event: dropped\ndata: ${dropped}\n\n`
          dropped = 0
        }
        for (const { line, id } of queue.splice(0)) {
          if (id === undefined) {
            chunk += `data: ${line.trimEnd()}\n\n`
            continue
          }
          // Sent already by a catch-up from the store.
          if (cursor !== undefined && id <= cursor) continue
          cursor = id
          chunk += `id: ${id}\ndata: ${line.trimEnd()}\n\n`
        }
        for (const block of named.splice(0)) chunk += block
        if (chunk !== '') yield chunk
      }
    } finally {
      subscription.unsubscribe()
      unsubscribeApprovals?.()
      live.delete(end)
    }
  }
  const encoder = new TextEncoder()
  async function* bytes(): AsyncGenerator<Uint8Array> {
    for await (const text of events()) yield encoder.encode(text)
  }
  return {
    status: 200,
    headers: [
      ['Content-Type', 'text/event-stream; charset=utf-8'],
      ['Cache-Control', 'no-store'],
      ['X-Accel-Buffering', 'no'],
    ],
    body: bytes(),
  }
}

/** `Last-Event-ID` (or `?lastEventId=`) as an event id, when it is one. */
function lastEventId(c: Context): number | undefined {
  const text = c.header('last-event-id') ?? c.query.get('lastEventId') ?? undefined
  if (text === undefined || !/^\d{1,15}$/.test(text.trim())) return undefined
  return Number(text.trim())
}
