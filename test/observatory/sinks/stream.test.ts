import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { PassThrough, Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { EventMeta } from '../../../src/observatory/server/hub.ts'
import { StreamSink } from '../../../src/observatory/sinks/stream.ts'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const meta: EventMeta = { event: 'PreToolUse', ts: new Date(0), tool: 'Bash' }

/** A Writable that takes `delayMs` per chunk and has a tiny buffer, so backpressure kicks in at once. */
class SlowWritable extends Writable {
  readonly received: string[] = []
  constructor(
    private readonly delayMs: number,
    highWaterMark: number,
  ) {
    super({ highWaterMark, decodeStrings: false })
  }
  override _write(chunk: unknown, _encoding: BufferEncoding, done: () => void): void {
    this.received.push(String(chunk))
    if (this.delayMs === 0) setImmediate(done)
    else setTimeout(done, this.delayMs)
  }
}

describe('StreamSink', () => {
  it('writes each line as is by default; the lines of one event-loop turn leave in one write', async () => {
    const out = new PassThrough()
    const chunks: string[] = []
    out.on('data', (c: Buffer) => chunks.push(c.toString()))
    const sink = new StreamSink(out, { log: () => {} })
    const first = sink.write('{"a":1}\n', meta)
    const second = sink.write('{"b":2}\n', meta)
    assert.ok(first instanceof Promise)
    assert.equal(second, first, 'one turn, one write, one promise')
    await first
    assert.deepEqual(chunks, ['{"a":1}\n{"b":2}\n'])
    await sink.write('{"c":3}\n', meta)
    await sink.close()
    assert.deepEqual(chunks, ['{"a":1}\n{"b":2}\n', '{"c":3}\n'])
    assert.equal(sink.lossless, true)
    assert.equal(sink.name, 'stdout')
  })

  it('passes the line and its metadata to the formatter, and writes what it returns', async () => {
    const out = new PassThrough()
    const chunks: Buffer[] = []
    out.on('data', (c: Buffer) => chunks.push(c))
    const seen: EventMeta[] = []
    const sink = new StreamSink(out, {
      format: (line, m) => {
        seen.push(m)
        return Buffer.from(`---\n${JSON.stringify(JSON.parse(line), null, 2)}\n`)
      },
    })
    sink.write('{"a":1}\n', meta)
    await sink.close()
    assert.equal(Buffer.concat(chunks).toString(), '---\n{\n  "a": 1\n}\n')
    assert.deepEqual(seen, [meta])
  })

  it('waits for drain under backpressure: one writer never has more than one line beyond the high-water mark', async () => {
    const out = new SlowWritable(1, 100)
    const sink = new StreamSink(out, { log: () => {} })
    const lines = Array.from({ length: 200 }, (_, i) => `{"n":${String(i).padStart(4, '0')}}\n`)
    let peak = 0
    for (const line of lines) {
      await sink.write(line, meta)
      peak = Math.max(peak, out.writableLength)
    }
    await sink.close()
    for (let spins = 0; out.writableLength > 0 && spins < 1000; spins++) await sleep(1)
    assert.deepEqual(out.received, lines)
    assert.ok(peak <= 100 + lines[0]!.length, `buffered ${peak} bytes`)
    assert.ok(sink.counters.drainWaits > 0, 'backpressure was exercised')
  })

  it('keeps every line, in order, with many concurrent writers on a slow stream', async () => {
    const out = new SlowWritable(0, 64)
    const sink = new StreamSink(out, { log: () => {} })
    const order: string[] = []
    let peak = 0
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        const line = `{"w":${w},"i":${i}}\n`
        order.push(line)
        await sink.write(line, meta)
        peak = Math.max(peak, out.writableLength)
      }
    }
    await Promise.all(Array.from({ length: 20 }, (_, w) => writer(w)))
    await sink.close()
    for (let spins = 0; out.writableLength > 0 && spins < 1000; spins++) await sleep(1)
    // Lines of one turn arrive as one chunk: compare the byte stream, line by line.
    const lines = out.received.join('').split(/(?<=\n)/)
    assert.equal(lines.length, 1000)
    assert.deepEqual(lines, order)
    // Each of the 20 writers waits with at most one line in the stream: memory is bounded by the writers.
    assert.ok(peak <= 64 + 20 * 20, `buffered ${peak} bytes`)
    assert.equal(sink.counters.linesWritten, 1000)
  })

  it('stops on a stream error: reports once, releases waiting writers, discards later lines', async () => {
    const failing = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, done) {
        const error: NodeJS.ErrnoException = new Error('write EPIPE')
        error.code = 'EPIPE'
        setTimeout(() => done(error), 5)
      },
    })
    const logged: string[] = []
    const sink = new StreamSink(failing, { log: (m) => logged.push(m) })
    const waiting = sink.write('1\n', meta)
    assert.ok(waiting instanceof Promise, 'over the high-water mark: must wait')
    await waiting
    assert.equal(sink.broken, true)
    assert.equal(sink.write('2\n', meta), undefined)
    assert.equal(sink.write('3\n', meta), undefined)
    await sink.close()
    assert.deepEqual(logged, [
      'Output stdout stopped: its reader went away (EPIPE); its events are discarded from now on',
    ])
    assert.deepEqual(sink.counters, { linesWritten: 1, linesDiscarded: 2, drainWaits: 1 })
  })

  it('stops when the stream is closed under it', async () => {
    const out = new PassThrough()
    const logged: string[] = []
    const sink = new StreamSink(out, { name: 'pipe', log: (m) => logged.push(m) })
    out.destroy()
    await once(out, 'close')
    assert.equal(sink.write('x\n', meta), undefined)
    assert.equal(sink.broken, true)
    assert.equal(logged.length, 1)
    assert.match(logged[0]!, /^Output pipe stopped: the stream was closed/)
    await sink.close()
  })

  it('ends the stream on close only when asked', async () => {
    const kept = new PassThrough()
    kept.resume()
    await new StreamSink(kept).close()
    assert.equal(kept.writableEnded, false)

    const ended = new PassThrough()
    ended.resume()
    const sink = new StreamSink(ended, { end: true })
    sink.write('last\n', meta)
    await sink.close()
    assert.equal(ended.writableFinished, true)
  })

  it('survives a real reader that exits early (EPIPE on a pipe to `head -n 1`)', {
    skip: !existsSync('/usr/bin/head') && !existsSync('/bin/head'),
  }, async () => {
    const head = spawn('head', ['-n', '1'], { stdio: ['pipe', 'ignore', 'ignore'] })
    const logged: string[] = []
    const sink = new StreamSink(head.stdin, { name: 'head', log: (m) => logged.push(m) })
    const exited = once(head, 'exit')
    for (let i = 0; i < 2000 && !sink.broken; i++) {
      await sink.write(`{"n":${i}}\n`, meta)
      await sleep(1)
    }
    await exited
    assert.equal(sink.broken, true)
    assert.equal(logged.length, 1)
    assert.match(logged[0]!, /EPIPE|ECONNRESET|closed/)
    await sink.close()
  })

  it('keeps a process alive and quiet when its stdout reader exits (`| head -n 1`)', {
    skip: process.platform === 'win32',
  }, async () => {
    const script = [
      "import { StreamSink } from './src/observatory/sinks/stream.ts'",
      'const sink = new StreamSink(process.stdout)',
      "const meta = { event: 'E', ts: new Date() }",
      'for (let i = 0; i < 5000; i++) {',
      "  await sink.write(JSON.stringify({ n: i }) + '\\n', meta)",
      '  if (sink.broken) break',
      '  await new Promise((r) => setTimeout(r, 1))',
      '}',
      "process.stderr.write('broken=' + sink.broken + '\\n')",
    ].join('\n')
    // The script travels in the environment: no shell quoting to get wrong.
    const child = spawn(
      'sh',
      ['-c', '"$NODE" --import tsx --input-type=module -e "$SCRIPT" | head -n 1'],
      {
        cwd: root,
        env: { ...process.env, NODE: process.execPath, SCRIPT: script },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    const [code] = await once(child, 'exit')
    assert.equal(stdout, '{"n":0}\n')
    assert.equal(code, 0)
    assert.match(stderr, /Output stdout stopped: its reader went away \(EPIPE\)/)
    assert.equal(stderr.match(/stopped/g)?.length, 1, stderr)
    assert.match(stderr, /broken=true/)
  })
})
