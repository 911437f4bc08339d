/**
 * `GET /events`, the live page's stream: every event line the hub publishes, as Server-Sent Events.
 */
import type { Context } from '../../framework/index.ts'
import type { Response } from '../../transport/index.ts'
import type { EventHub } from './hub.ts'

/**
 * Server-Sent Events (HTML Living Standard §9.2): `text/event-stream`, each event a `data:` line and a blank
 * line. Lines are JSON without newlines, so each event is one `data:` line. A client that falls behind loses lines
 * (counted and announced with an `event: dropped`), never slows the hub.
 *
 * `live` holds a function that ends each open stream (shutdown ends them all: they would otherwise hold the server
 * open); a stream adds itself and removes itself when it ends.
 */
export function liveStream(c: Context, hub: EventHub, live: Set<() => void>): Response {
  const queue: string[] = []
  let wake: (() => void) | undefined
  let ended = false
  let dropped = 0
  const end = (): void => {
    ended = true
    wake?.()
  }
  const subscription = hub.subscribe(
    (line) => {
      if (queue.length >= 1000) {
        dropped++
        return
      }
      queue.push(line)
      wake?.()
    },
    { onEnd: end },
  )
  live.add(end)
  c.req.signal.addEventListener('abort', end, { once: true })
  async function* events(): AsyncGenerator<string> {
    try {
      yield ': connected\n\n'
      while (!ended) {
        if (queue.length === 0) {
          const heartbeat = setTimeout(() => wake?.(), 15_000)
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          clearTimeout(heartbeat)
          wake = undefined
          if (queue.length === 0 && !ended) yield ': keep-alive\n\n'
          continue
        }
        let chunk = ''
        if (dropped > 0) {
          chunk += `event: dropped\ndata: ${dropped}\n\n`
          dropped = 0
        }
        for (const line of queue.splice(0)) chunk += `data: ${line.trimEnd()}\n\n`
        yield chunk
      }
    } finally {
      subscription.unsubscribe()
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
