import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises'
import {
  type OutputSocketOptions,
  OutputSocketSink,
} from '../../../src/observatory/sinks/output-socket.ts'

let dir: string
let counter = 0
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'obs-out-'))
})
after(() => {
  rmSync(dir, { recursive: true, force: true })
})
const freshPath = (): string => join(dir, `out-${++counter}.sock`)

/** Poll `condition` (bounded: 5 s) so tests wait for the server side of a connection without guessing delays. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (condition()) return
    await sleep(1)
  }
  throw new Error(`timed out waiting for ${what}`)
}

interface Reader {
  socket: Socket
  /** How many bytes were received so far. */
  bytes(): number
  /** Everything received so far. */
  text(): string
  lines(): string[]
  /** Resolves on EOF or close. */
  ended: Promise<void>
}

/** The Reader over a connecting `socket` whose received chunks go to `chunks`, once the sink has accepted it. */
async function readerOf(
  sink: OutputSocketSink,
  socket: Socket,
  accepted: number,
  chunks: Buffer[],
  bytes: () => number,
): Promise<Reader> {
  const ended = new Promise<void>((resolve) => {
    socket.once('end', resolve)
    socket.once('close', () => resolve())
  })
  socket.on('error', () => {})
  await once(socket, 'connect')
  await waitFor(() => sink.counters.readersAccepted > accepted, 'the reader to be accepted')
  const text = (): string => Buffer.concat(chunks).toString('utf8')
  return { socket, bytes, text, lines: () => text().split('\n').slice(0, -1), ended }
}

/** Connect a reader and wait until the sink has registered it. */
async function connectReader(sink: OutputSocketSink, path = sink.path): Promise<Reader> {
  const accepted = sink.counters.readersAccepted
  const socket = createConnection({ path, allowHalfOpen: true })
  const chunks: Buffer[] = []
  let bytes = 0
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    bytes += chunk.length
  })
  return readerOf(sink, socket, accepted, chunks, () => bytes)
}

/**
 * Connect a reader that reads slowly but steadily: at most `readSize` bytes per read (the read buffer is that
 * big), then a pause of `pauseMs` before the next read. It never stops reading, so it must never see a partial
 * line.
 */
async function connectSlowReader(
  sink: OutputSocketSink,
  readSize = 4096,
  pauseMs = 5,
): Promise<Reader> {
  const accepted = sink.counters.readersAccepted
  const chunks: Buffer[] = []
  let bytes = 0
  const socket: Socket = createConnection({
    path: sink.path,
    allowHalfOpen: true,
    onread: {
      buffer: Buffer.alloc(readSize),
      callback: (size: number, buffer: Uint8Array): boolean => {
        chunks.push(Buffer.from(buffer.subarray(0, size)))
        bytes += size
        // Stop reading from the kernel (readStop) and start again a little later.
        socket.pause()
        setTimeout(() => socket.resume(), pauseMs)
        return true
      },
    },
  })
  return readerOf(sink, socket, accepted, chunks, () => bytes)
}

/** A JSON line of about `size` bytes. */
const jsonLine = (n: number, size: number): string =>
  `${JSON.stringify({ n, pad: 'p'.repeat(Math.max(0, size - 20)) })}\n`

const MiB = 1024 * 1024

/** `text` must be whole JSON lines, the first ones of `published`, in order. Returns how many. */
function assertWholeLinesPrefix(text: string, published: string[], who: string): number {
  assert.ok(
    text === '' || text.endsWith('\n'),
    `${who} ends on a whole line, not on a ${text.length - text.lastIndexOf('\n') - 1}-byte fragment`,
  )
  const lines = text.split('\n').slice(0, -1)
  for (const line of lines) JSON.parse(line)
  assert.ok(lines.length <= published.length)
  for (let i = 0; i < lines.length; i++) {
    assert.equal(`${lines[i]}\n`, published[i], `${who}: line ${i} is the ${i}th line published`)
  }
  return lines.length
}

async function open(
  options: Partial<OutputSocketOptions> = {},
): Promise<{ sink: OutputSocketSink; logged: string[] }> {
  const logged: string[] = []
  const sink = await OutputSocketSink.listen({
    path: freshPath(),
    log: (m) => logged.push(m),
    ...options,
  })
  return { sink, logged }
}

const exists = (path: string): boolean => {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

describe('OutputSocketSink', () => {
  it('sends each reader every line published after it connected, and only those', async () => {
    const { sink, logged } = await open()
    sink.write('{"n":0}\n')
    const a = await connectReader(sink)
    sink.write('{"n":1}\n')
    const b = await connectReader(sink)
    sink.write('{"n":2}\n')
    sink.write('{"n":"é✓"}\n')
    await sink.close()
    await Promise.all([a.ended, b.ended])
    assert.equal(a.text(), '{"n":1}\n{"n":2}\n{"n":"é✓"}\n')
    assert.equal(b.text(), '{"n":2}\n{"n":"é✓"}\n')
    assert.deepEqual(logged.slice(0, 2), [
      'Output reader connected (1 total)',
      'Output reader connected (2 total)',
    ])
    assert.equal(sink.lossless, false)
    a.socket.destroy()
    b.socket.destroy()
  })

  for (const [label, limit, padding] of [
    ['small lines', 64 * 1024, 1000],
    // Lines larger than what the kernel puts in one socket packet (about 100 KiB on Linux), and than one write
    // request (64 KiB): the kernel takes part of a line, so the point the kernel has reached falls mid-line. The
    // dropped reader must be sent the rest of that line, and nothing after it.
    ['lines larger than a socket packet', 1024 * 1024, 150_000],
  ] as const) {
    it(`drops a reader that stops reading once its buffer is full; the others and publishing carry on (${label})`, async () => {
      await slowReaderScenario(limit, padding)
    })
  }
})

/**
 * Two readers, one of which stops reading. The fast one keeps up (the loop waits for it after every line), the
 * slow one must be dropped once `limit` bytes are queued for it, must have received only whole lines, and nobody
 * else may notice.
 */
async function slowReaderScenario(limit: number, padding: number): Promise<void> {
  const { sink, logged } = await open({ maxBufferedBytes: limit })
  const fast = await connectReader(sink)
  const slow = await connectReader(sink)
  slow.socket.pause()

  const pad = 'x'.repeat(padding)
  const published: string[] = []
  let publishedBytes = 0
  const publish = async (): Promise<void> => {
    const line = `{"n":${published.length},"pad":"${pad}"}\n`
    published.push(line)
    publishedBytes += line.length
    sink.write(line)
    await waitFor(() => fast.bytes() === publishedBytes, 'the fast reader to keep up')
  }
  // The kernel holds a few hundred KiB for a Unix socket before the sink's own queue even starts to fill; the
  // bound (20,000 lines) is far above what any kernel buffers.
  for (let i = 0; i < 20_000 && sink.counters.readersDropped === 0; i++) await publish()
  assert.equal(sink.counters.readersDropped, 1, 'the slow reader was dropped')
  const droppedAt = published.length
  for (let i = 0; i < 20; i++) await publish()
  assert.equal(fast.text(), published.join(''), 'the fast reader got every line, in order')

  // The slow reader now reads what it was sent before being dropped: whole lines, then EOF.
  slow.socket.resume()
  await slow.ended
  assert.ok(slow.text().endsWith('\n'), 'no partial last line')
  const lines = slow.lines().map((l) => `${l}\n`)
  assert.ok(lines.length > 0 && lines.length < droppedAt)
  assert.deepEqual(lines, published.slice(0, lines.length), 'a prefix of the stream, in order')

  assert.ok(logged.includes('Output reader dropped: too slow (1 total)'))
  assert.deepEqual(sink.counters, {
    readersConnected: 1,
    readersAccepted: 2,
    readersDropped: 1,
    // Exactly the lines published up to the drop that the dropped reader did not get.
    linesDropped: droppedAt - lines.length,
    readersFlushing: 0,
    bytesQueued: 0,
  })
  await sink.close()
  fast.socket.destroy()
  slow.socket.destroy()
}

describe('OutputSocketSink, more', () => {
  it('destroys a dropped reader that stops reading after the grace period; it got no line past the cut', async () => {
    // A budget larger than what the kernel buffers, so the kernel is full and a write request is stuck half-way
    // when the reader is dropped.
    const { sink } = await open({ maxBufferedBytes: MiB, dropGraceMs: 50 })
    const slow = await connectReader(sink)
    slow.socket.pause()
    const published: string[] = []
    for (let i = 0; i < 5000 && sink.counters.readersDropped === 0; i++) {
      published.push(jsonLine(i, 4000))
      sink.write(published[i]!)
      if (i % 16 === 0) await tick()
    }
    assert.equal(sink.counters.readersDropped, 1)
    assert.equal(
      sink.counters.readersFlushing,
      1,
      'cut, waiting for the reader to take the lines being sent',
    )
    // The server side lets go after 50 ms without progress, although the reader never read its queue.
    await waitFor(() => sink.counters.readersFlushing === 0, 'the grace period to expire')
    assert.equal(sink.counters.bytesQueued, 0)

    // What it sees: the lines the kernel had taken, whole, maybe then part of the next one; nothing after the cut.
    slow.socket.resume()
    await slow.ended
    const text = slow.text()
    const whole = text.slice(0, text.lastIndexOf('\n') + 1)
    const received = assertWholeLinesPrefix(whole, published, 'the stalled reader')
    const fragment = text.slice(whole.length)
    assert.ok(published[received]!.startsWith(fragment), 'a fragment of the next line, if anything')
    assert.ok(received + sink.counters.linesDropped <= published.length)
    await sink.close()
    slow.socket.destroy()
  })

  it('gives a reader that keeps reading lines larger than its buffer limit; a reader that is behind is still dropped', async () => {
    const { sink, logged } = await open() // maxBufferedBytes: 1 MiB
    const fast = await connectReader(sink)
    const paused = await connectReader(sink)
    paused.socket.pause()
    const published: string[] = []
    const publish = (line: string): void => {
      published.push(line)
      sink.write(line)
    }
    const publishedBytes = (): number => Buffer.byteLength(published.join(''))

    // A small line, a 2 MiB line and a small line in one event-loop turn: neither reader has read anything yet.
    publish(jsonLine(0, 100))
    publish(jsonLine(1, 2 * MiB))
    publish(jsonLine(2, 100))
    assert.equal(sink.counters.readersDropped, 0, 'one large line drops nobody')
    await waitFor(() => fast.bytes() === publishedBytes(), 'the fast reader to get the 2 MiB line')
    assert.equal(sink.counters.readersDropped, 0)

    // The paused reader still has most of the 2 MiB line waiting: with a second large line it is behind.
    publish(jsonLine(3, 3 * MiB))
    assert.equal(sink.counters.readersDropped, 1, 'the paused reader, and only it, is dropped')
    assert.ok(
      sink.counters.bytesQueued <= MiB + 3 * MiB + 2 * MiB,
      `bounded: the fast reader's queue, and the paused one's line in progress (${sink.counters.bytesQueued})`,
    )
    publish(jsonLine(4, 100))
    await waitFor(() => fast.bytes() === publishedBytes(), 'the fast reader to get the 3 MiB line')
    assertWholeLinesPrefix(fast.text(), published, 'the fast reader')
    assert.equal(fast.text(), published.join(''), 'the fast reader got every line')
    assert.equal(sink.counters.readersConnected, 1)
    assert.equal(logged.filter((m) => m.startsWith('Output reader dropped')).length, 1)

    // The paused reader, reading again, gets whole lines (at least the 2 MiB one it had part of), then EOF.
    paused.socket.resume()
    await paused.ended
    const received = assertWholeLinesPrefix(paused.text(), published, 'the dropped reader')
    assert.ok(received >= 2 && received < 4)
    assert.equal(sink.counters.linesDropped, 4 - received)
    await sink.close()
    fast.socket.destroy()
    paused.socket.destroy()
  })

  it('a dropped reader that keeps reading slowly gets whole lines, then EOF', async () => {
    // The reader reads 4 KiB every 5 ms (at most 800 KiB/s): reading its 2 MiB queue takes seconds, far longer
    // than the grace period, yet it reads all the time, and must end on a whole line.
    const { sink, logged } = await open({ maxBufferedBytes: 2 * MiB, dropGraceMs: 1000 })
    const slow = await connectSlowReader(sink, 4096, 5)
    // try/finally: a failed assertion must not leave the sink listening (the test process would never exit).
    try {
      const published: string[] = []
      let droppedAt = 0
      for (let i = 0; i < 20_000; i++) {
        published.push(jsonLine(i, 1000))
        sink.write(published[i]!)
        if (droppedAt === 0 && sink.counters.readersDropped === 1) droppedAt = published.length
        if (i % 100 === 99) await tick()
      }
      assert.equal(sink.counters.readersDropped, 1, 'the slow reader was dropped')
      assert.ok(logged.includes('Output reader dropped: too slow (0 total)'))
      await slow.ended
      const received = assertWholeLinesPrefix(slow.text(), published, 'the slow reader')
      assert.ok(received > 0 && received < droppedAt)
      assert.equal(
        sink.counters.linesDropped,
        droppedAt - received,
        'it got every line not counted',
      )
      assert.equal(sink.counters.readersFlushing, 0)
    } finally {
      await sink.close()
      slow.socket.destroy()
    }
  })

  it('on close, a reader that cannot read its whole queue in time is cut at a line boundary', async () => {
    const { sink } = await open({ maxBufferedBytes: 4 * MiB, closeGraceMs: 500 })
    const slow = await connectSlowReader(sink, 4096, 5)
    const published: string[] = []
    for (let i = 0; i < 3000; i++) {
      published.push(jsonLine(i, 1000))
      sink.write(published[i]!)
    }
    assert.equal(sink.counters.readersDropped, 0)
    // Resolves once every reader is gone: the slow one is cut after 500 ms, and it finishes its line.
    await sink.close()
    await slow.ended
    const received = assertWholeLinesPrefix(slow.text(), published, 'the slow reader')
    assert.ok(received > 0 && received < published.length, `got ${received} lines`)
    slow.socket.destroy()
  })

  it('forgets a reader that disconnects and keeps serving the others', async () => {
    const { sink, logged } = await open()
    const a = await connectReader(sink)
    const b = await connectReader(sink)
    b.socket.destroy()
    await waitFor(() => sink.counters.readersConnected === 1, 'the disconnect')
    assert.equal(logged.at(-1), 'Output reader disconnected (1 total)')
    sink.write('after\n')
    await waitFor(() => a.text() === 'after\n', 'the line')
    await sink.close()
    a.socket.destroy()
  })

  it('ignores what readers send', async () => {
    const { sink } = await open()
    const chatty = await connectReader(sink)
    chatty.socket.write('hello server\n'.repeat(1000))
    await sleep(20)
    sink.write('one\n')
    sink.write('two\n')
    await waitFor(() => chatty.text() === 'one\ntwo\n', 'both lines')
    assert.equal(sink.counters.readersConnected, 1)
    await sink.close()
    chatty.socket.destroy()
  })

  it('takes a reader that shuts down its sending side as gone', async () => {
    const { sink, logged } = await open()
    const reader = await connectReader(sink)
    reader.socket.end()
    await waitFor(() => sink.counters.readersConnected === 0, 'the disconnect')
    assert.equal(logged.at(-1), 'Output reader disconnected (0 total)')
    await sink.close()
    reader.socket.destroy()
  })

  it('flushes queued lines to readers on close, then removes the socket file', async () => {
    const { sink } = await open()
    const reader = await connectReader(sink)
    const lines = Array.from({ length: 1000 }, (_, i) => `{"i":${i}}\n`)
    for (const line of lines) sink.write(line)
    assert.equal(exists(sink.path), true)
    await sink.close()
    await reader.ended
    assert.equal(reader.text(), lines.join(''))
    assert.equal(exists(sink.path), false)
    sink.write('ignored\n')
    await sink.close()
    const late = createConnection(sink.path)
    const [error] = (await once(late, 'error')) as [NodeJS.ErrnoException]
    assert.ok(error.code === 'ENOENT' || error.code === 'ECONNREFUSED')
    reader.socket.destroy()
  })

  it('creates the socket with mode 0660 by default, or the mode asked for', async () => {
    const { sink } = await open()
    assert.equal(lstatSync(sink.path).mode & 0o777, 0o660)
    await sink.close()
    const { sink: owner } = await open({ mode: 0o600 })
    assert.equal(lstatSync(owner.path).mode & 0o777, 0o600)
    await owner.close()
  })

  it('replaces a stale socket left by a crashed process', async () => {
    const path = freshPath()
    // A process that binds the socket and is killed: the file stays, nobody listens on it.
    spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ])
    assert.equal(lstatSync(path).isSocket(), true, 'the stale socket is there')
    const sink = await OutputSocketSink.listen({ path, log: () => {} })
    const reader = await connectReader(sink)
    sink.write('fresh\n')
    await waitFor(() => reader.text() === 'fresh\n', 'the line')
    await sink.close()
    reader.socket.destroy()
  })

  it('refuses to steal a live socket or replace a regular file', async () => {
    const path = freshPath()
    const live = createServer()
    live.listen(path)
    await once(live, 'listening')
    await assert.rejects(OutputSocketSink.listen({ path, log: () => {} }), {
      name: 'ListenError',
      code: 'EADDRINUSE',
    })
    live.close()
    await once(live, 'close')

    const file = join(dir, 'not-a-socket')
    writeFileSync(file, 'precious\n')
    await assert.rejects(OutputSocketSink.listen({ path: file, log: () => {} }), {
      code: 'EEXIST',
    })
    assert.equal(readFileSync(file, 'utf8'), 'precious\n')
  })
})

describe('OutputSocketSink, lines handed over together', () => {
  it('holds lines of several turns for flushDelayMs and sends them in one write, in order', async () => {
    const { sink } = await open({ flushDelayMs: 50 })
    const reader = await connectReader(sink)
    const chunks: number[] = []
    reader.socket.on('data', (chunk: Buffer) => chunks.push(chunk.length))
    for (let i = 0; i < 20; i++) {
      sink.write(`{"n":${i}}\n`)
      await tick() // a new event-loop turn for every line
    }
    await waitFor(() => reader.lines().length === 20, 'the 20 lines')
    assert.deepEqual(
      reader.lines(),
      Array.from({ length: 20 }, (_, i) => `{"n":${i}}`),
    )
    // One write for all of them (a Unix socket hands them to the reader as one chunk when it reads after).
    assert.equal(chunks.length, 1)
    await sink.close()
  })

  it('with flushDelayMs 0, sends at the end of the turn; close flushes what waits for the delay', async () => {
    const now = await open({ flushDelayMs: 0 })
    const a = await connectReader(now.sink)
    now.sink.write('{"a":1}\n')
    await waitFor(() => a.lines().length === 1, 'the line')
    await now.sink.close()

    const later = await open({ flushDelayMs: 60_000 })
    const b = await connectReader(later.sink)
    later.sink.write('{"b":1}\n')
    later.sink.write('{"b":2}\n')
    await later.sink.close()
    await b.ended
    assert.deepEqual(b.lines(), ['{"b":1}', '{"b":2}'])
  })

  it('still drops a reader that is behind by the budget, counting lines as they are published', async () => {
    const { sink } = await open({ flushDelayMs: 60_000, maxBufferedBytes: 1000 })
    await connectReader(sink)
    const line = `${'x'.repeat(98)}\n`
    try {
      // None is handed over yet: 11 × 99 bytes wait, 990 without the largest line; the 12th makes 1,089.
      for (let i = 0; i < 11; i++) sink.write(line)
      assert.equal(sink.counters.readersDropped, 0)
      sink.write(line)
      assert.equal(sink.counters.readersDropped, 1)
    } finally {
      await sink.close()
    }
  })
})
