import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  EventHub,
  type EventMeta,
  type Sink,
  type SubscriptionEndReason,
} from '../../../src/observatory/server/hub.ts'
import { Stats } from '../../../src/observatory/server/stats.ts'

const meta = (event = 'PreToolUse', tool?: string): EventMeta => ({
  event,
  ts: new Date(),
  ...(tool === undefined ? {} : { tool }),
})

/** A sink that records what it got; `respond` decides what write() returns. */
class RecordingSink implements Sink {
  readonly lines: string[] = []
  closed = false
  constructor(
    readonly name: string,
    readonly lossless: boolean,
    readonly respond: (line: string) => void | Promise<void> = () => {},
  ) {}
  write(line: string): void | Promise<void> {
    this.lines.push(line)
    return this.respond(line)
  }
  async close(): Promise<void> {
    this.closed = true
  }
}

/** A promise plus the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Whether `promise` has settled by the time already-queued microtasks and one macrotask ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  promise.then(
    () => {
      done = true
    },
    () => {
      done = true
    },
  )
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

const silent = (): void => {}

describe('EventHub publishing', () => {
  it('waits for a lossless sink before resolving', async () => {
    const gate = deferred()
    const slow = new RecordingSink('slow', true, () => gate.promise)
    const hub = new EventHub({ log: silent })
    hub.addSink(slow)
    const published = hub.publish('{"a":1}\n', meta())
    assert.deepEqual(slow.lines, ['{"a":1}\n'], 'the sink got the line synchronously')
    assert.equal(await settled(published), false, 'publish waits for the lossless sink')
    gate.resolve()
    await published
  })

  it('returns one shared resolved promise when every lossless sink accepts synchronously', async () => {
    const hub = new EventHub({ log: silent })
    hub.addSink(new RecordingSink('fast', true))
    hub.addSink(new RecordingSink('fast2', true))
    const first = hub.publish('1\n', meta())
    const second = hub.publish('2\n', meta())
    assert.equal(first, second, 'no promise allocated per event')
    await first
  })

  it('waits for every lossless sink when several are pending', async () => {
    const a = deferred()
    const b = deferred()
    const hub = new EventHub({ log: silent })
    hub.addSink(new RecordingSink('a', true, () => a.promise))
    hub.addSink(new RecordingSink('b', true, () => b.promise))
    const published = hub.publish('x\n', meta())
    a.resolve()
    assert.equal(await settled(published), false)
    b.resolve()
    assert.equal(await settled(published), true)
  })

  it('never waits for a lossy sink, and survives one that throws or rejects', async () => {
    const logged: string[] = []
    const hub = new EventHub({ log: (m) => logged.push(m) })
    const never = new Promise<void>(() => {})
    const hanging = new RecordingSink('hanging', false, () => never)
    const throwing = new RecordingSink('throwing', false, () => {
      throw new Error('boom')
    })
    const rejecting = new RecordingSink('rejecting', false, () => Promise.reject(new Error('nope')))
    const lossless = new RecordingSink('file', true)
    hub.addSink(hanging)
    hub.addSink(throwing)
    hub.addSink(rejecting)
    hub.addSink(lossless)
    const published = hub.publish('x\n', meta())
    assert.equal(await settled(published), true, 'publish did not wait for lossy sinks')
    assert.deepEqual(lossless.lines, ['x\n'])
    assert.deepEqual(hanging.lines, ['x\n'])
    assert.deepEqual(
      logged.sort(),
      [
        'Output rejecting failed to take an event: nope',
        'Output throwing failed to take an event: boom',
      ].sort(),
    )
  })

  it('rejects when a lossless sink fails, after every sink got the line', async () => {
    const hub = new EventHub({ log: silent })
    const failing = new RecordingSink('disk', true, () => {
      throw new Error('ENOSPC')
    })
    const other = new RecordingSink('stdout', true)
    const lossy = new RecordingSink('socket', false)
    hub.addSink(failing)
    hub.addSink(other)
    hub.addSink(lossy)
    await assert.rejects(hub.publish('x\n', meta()), /ENOSPC/)
    assert.deepEqual(other.lines, ['x\n'])
    assert.deepEqual(lossy.lines, ['x\n'])
  })

  it('hands lines to every sink and subscriber in publish order, even with overlapping publishes', async () => {
    const hub = new EventHub({ log: silent })
    // A lossless sink whose writes finish in random order: the hub must still call it in order.
    const jittery = new RecordingSink(
      'jittery',
      true,
      () => new Promise((resolve) => setTimeout(resolve, Math.random() * 5)),
    )
    const lossy = new RecordingSink('lossy', false)
    const seen: string[] = []
    hub.addSink(jittery)
    hub.addSink(lossy)
    hub.subscribe((line) => {
      seen.push(line)
    })
    const lines = Array.from({ length: 200 }, (_, i) => `{"n":${i}}\n`)
    await Promise.all(lines.map((line) => hub.publish(line, meta())))
    assert.deepEqual(jittery.lines, lines)
    assert.deepEqual(lossy.lines, lines)
    assert.deepEqual(seen, lines)
    assert.equal(hub.counters.published, 200)
  })

  it('feeds every published event to the stats', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z')
    const stats = new Stats({ now: () => now })
    const hub = new EventHub({ stats, log: silent })
    await hub.publish('a\n', { event: 'PreToolUse', ts: new Date(now), tool: 'Bash' })
    await hub.publish('b\n', { event: 'Stop', ts: new Date(now) })
    now += 500
    const snapshot = stats.snapshot()
    assert.equal(snapshot.totalEvents, 2)
    assert.deepEqual(snapshot.eventsByType, { PreToolUse: 1, Stop: 1 })
    assert.deepEqual(snapshot.topTools, [{ tool: 'Bash', count: 1 }])
  })
})

describe('EventHub subscribers', () => {
  it('delivers synchronously to a listener that keeps up', () => {
    const hub = new EventHub({ log: silent })
    const got: string[] = []
    hub.subscribe((line, m) => {
      got.push(`${m.event}:${line}`)
    })
    void hub.publish('1\n', meta('A'))
    void hub.publish('2\n', meta('B'))
    assert.deepEqual(got, ['A:1\n', 'B:2\n'])
  })

  it('queues while the listener is congested, drops and counts what overflows, then resumes in order', async () => {
    const hub = new EventHub({ log: silent })
    const got: string[] = []
    let gate = deferred()
    const subscription = hub.subscribe(
      (line) => {
        got.push(line)
        return line === '0\n' ? gate.promise : undefined
      },
      { maxQueuedLines: 3 },
    )
    for (let i = 0; i < 6; i++) await hub.publish(`${i}\n`, meta())
    // 0 delivered (listener congested), 1 2 3 queued, 4 5 over the limit.
    assert.deepEqual(got, ['0\n'])
    assert.equal(subscription.queued, 3)
    assert.equal(subscription.dropped, 2)
    assert.equal(hub.counters.subscriberLinesDropped, 2)
    gate.resolve()
    gate = deferred()
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(got, ['0\n', '1\n', '2\n', '3\n'])
    assert.equal(subscription.queued, 0)
    assert.equal(subscription.active, true, 'drop-line keeps the subscription')
    await hub.publish('6\n', meta())
    assert.deepEqual(got.at(-1), '6\n')
  })

  it('bounds the queue by bytes too', async () => {
    const hub = new EventHub({ log: silent })
    const gate = deferred()
    let calls = 0
    const subscription = hub.subscribe(
      () => {
        calls++
        return calls === 1 ? gate.promise : undefined
      },
      { maxQueuedBytes: 10 },
    )
    await hub.publish('first\n', meta())
    await hub.publish('12345678\n', meta()) // 9 bytes: fits
    await hub.publish('ab\n', meta()) // 9 + 3 > 10: dropped
    assert.equal(subscription.queued, 1)
    assert.equal(subscription.dropped, 1)
    gate.resolve()
  })

  it("ends a subscription that overflows with overflow: 'close'", async () => {
    const hub = new EventHub({ log: silent })
    const ends: SubscriptionEndReason[] = []
    const subscription = hub.subscribe(() => new Promise<void>(() => {}), {
      maxQueuedLines: 2,
      overflow: 'close',
      onEnd: (reason) => ends.push(reason),
    })
    for (let i = 0; i < 5; i++) await hub.publish(`${i}\n`, meta())
    assert.deepEqual(ends, ['overflow'])
    assert.equal(subscription.active, false)
    assert.deepEqual(hub.counters, {
      published: 5,
      subscribers: 0,
      subscribersDropped: 1,
      subscriberLinesDropped: 1,
    })
  })

  it('removes a listener that throws or rejects, and logs it', async () => {
    const logged: string[] = []
    const hub = new EventHub({ log: (m) => logged.push(m) })
    const ends: SubscriptionEndReason[] = []
    hub.subscribe(
      () => {
        throw new Error('bad listener')
      },
      { onEnd: (r) => ends.push(r) },
    )
    hub.subscribe(() => Promise.reject(new Error('bad promise')), { onEnd: (r) => ends.push(r) })
    await hub.publish('x\n', meta())
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(ends, ['error', 'error'])
    assert.equal(hub.counters.subscribers, 0)
    assert.equal(logged.length, 2)
    assert.match(logged[0]!, /bad listener/)
  })

  it('unsubscribe stops delivery and drops the queue', async () => {
    const hub = new EventHub({ log: silent })
    const got: string[] = []
    const ends: SubscriptionEndReason[] = []
    const gate = deferred()
    const subscription = hub.subscribe(
      (line) => {
        got.push(line)
        return gate.promise
      },
      { onEnd: (r) => ends.push(r) },
    )
    await hub.publish('1\n', meta())
    await hub.publish('2\n', meta())
    subscription.unsubscribe()
    subscription.unsubscribe()
    gate.resolve()
    await hub.publish('3\n', meta())
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(got, ['1\n'])
    assert.deepEqual(ends, ['unsubscribed'])
  })

  it('delivers a long backlog in order to a listener that is congested on every line', async () => {
    const hub = new EventHub({ log: silent })
    const got: number[] = []
    const subscription = hub.subscribe(
      (line) => {
        got.push(Number(line))
        // Congested on every line: each one waits for a macrotask.
        return new Promise((resolve) => setImmediate(resolve))
      },
      { maxQueuedLines: 100_000, maxQueuedBytes: 10_000_000 },
    )
    for (let i = 0; i < 5000; i++) void hub.publish(`${i}\n`, meta())
    for (let spins = 0; got.length < 5000 && spins < 20_000; spins++) {
      await new Promise((resolve) => setImmediate(resolve))
    }
    assert.equal(got.length, 5000)
    assert.ok(got.every((n, i) => n === i))
    assert.equal(subscription.dropped, 0)
  })
})

describe('EventHub.close', () => {
  it('closes every sink even if one fails, ends subscriptions, and refuses later publishes', async () => {
    const hub = new EventHub({ log: silent })
    const good = new RecordingSink('good', true)
    const lossy = new RecordingSink('lossy', false)
    const bad: Sink = {
      name: 'bad',
      lossless: true,
      write: () => {},
      close: () => Promise.reject(new Error('close failed')),
    }
    hub.addSink(good)
    hub.addSink(bad)
    hub.addSink(lossy)
    const ends: SubscriptionEndReason[] = []
    hub.subscribe(() => {}, { onEnd: (r) => ends.push(r) })
    await assert.rejects(hub.close(), /close failed/)
    assert.equal(good.closed, true)
    assert.equal(lossy.closed, true)
    assert.deepEqual(ends, ['hub-closed'])
    await assert.rejects(hub.publish('x\n', meta()), /closed/)
    assert.throws(() => hub.addSink(new RecordingSink('late', true)), /closed/)
    assert.throws(() => hub.subscribe(() => {}), /closed/)
    await hub.close()
  })
})
