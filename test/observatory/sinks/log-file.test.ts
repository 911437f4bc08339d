import assert from 'node:assert/strict'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type LogFileOptions, LogFileSink } from '../../../src/observatory/sinks/log-file.ts'

let dir: string
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'obs-log-'))
})
after(() => {
  rmSync(dir, { recursive: true, force: true })
})
/** A fresh directory per test, so file listings only show that test's files. */
const freshLog = (): string => join(mkdtempSync(join(dir, 't-')), 'events.jsonl')

const read = (path: string): string => readFileSync(path, 'utf8')

async function open(
  path: string,
  options: Partial<LogFileOptions> = {},
): Promise<{ sink: LogFileSink; logged: string[] }> {
  const logged: string[] = []
  const sink = await LogFileSink.open({ path, log: (m) => logged.push(m), ...options })
  return { sink, logged }
}

/** A line of exactly `bytes` bytes (newline included) carrying `n`. */
const sized = (n: number, bytes: number): string => {
  const head = `{"n":${n},"p":"`
  const tail = '"}\n'
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail
}

describe('LogFileSink', () => {
  it('appends each line, creating the file with mode 0600', async () => {
    const path = freshLog()
    const { sink } = await open(path)
    await sink.write('{"a":1}\n')
    await sink.write('{"b":"é"}\n')
    await sink.close()
    assert.equal(read(path), '{"a":1}\n{"b":"é"}\n')
    assert.equal(statSync(path).mode & 0o777, 0o600)
    assert.equal(sink.lossless, true)
  })

  it('writes the lines published in one event-loop turn with one write', async () => {
    const path = freshLog()
    const { sink } = await open(path)
    const lines = Array.from({ length: 10 }, (_, i) => `{"i":${i}}\n`)
    await Promise.all(lines.map((line) => sink.write(line)))
    assert.equal(sink.counters.writes, 1)
    assert.equal(sink.counters.linesWritten, 10)
    await sink.write('{"later":true}\n')
    assert.equal(sink.counters.writes, 2)
    await sink.close()
    assert.equal(read(path), `${lines.join('')}{"later":true}\n`)
  })

  it('appends to an existing log instead of replacing it', async () => {
    const path = freshLog()
    writeFileSync(path, '{"old":1}\n')
    const { sink, logged } = await open(path)
    await sink.write('{"new":2}\n')
    await sink.close()
    assert.equal(read(path), '{"old":1}\n{"new":2}\n')
    assert.deepEqual(logged, [])
  })

  it('rotates between lines at the size limit: FILE, FILE.1, FILE.2, oldest deleted', async () => {
    const path = freshLog()
    // 40-byte lines, 100-byte files: two lines per file (a third would make 120 bytes).
    const { sink } = await open(path, { maxBytes: 100, maxFiles: 2 })
    const lines = Array.from({ length: 7 }, (_, i) => sized(i, 40))
    for (const line of lines) await sink.write(line)
    await sink.close()
    assert.equal(read(path), lines[6])
    assert.equal(read(`${path}.1`), lines[4]! + lines[5]!)
    assert.equal(read(`${path}.2`), lines[2]! + lines[3]!)
    assert.equal(existsSync(`${path}.3`), false, 'maxFiles respected: lines 0 and 1 are gone')
    assert.deepEqual(readdirSync(join(path, '..')).sort(), [
      'events.jsonl',
      'events.jsonl.1',
      'events.jsonl.2',
    ])
    assert.equal(sink.counters.rotations, 3)
  })

  it('fills a file up to exactly maxBytes before rotating', async () => {
    const path = freshLog()
    const { sink } = await open(path, { maxBytes: 80, maxFiles: 1 })
    for (let i = 0; i < 3; i++) await sink.write(sized(i, 40))
    await sink.close()
    assert.equal(read(`${path}.1`), sized(0, 40) + sized(1, 40))
    assert.equal(read(path), sized(2, 40))
  })

  it('keeps no old files with maxFiles 0, and gives a line larger than maxBytes a file of its own', async () => {
    const path = freshLog()
    const { sink } = await open(path, { maxBytes: 50, maxFiles: 0 })
    await sink.write(sized(0, 30))
    await sink.write(sized(1, 120)) // too big for any file: alone, whole
    await sink.write(sized(2, 30))
    await sink.close()
    assert.equal(read(path), sized(2, 30))
    assert.deepEqual(readdirSync(join(path, '..')), ['events.jsonl'])
    assert.equal(sink.counters.rotations, 2)
  })

  it('counts bytes, not characters, for the size limit', async () => {
    const path = freshLog()
    const { sink } = await open(path, { maxBytes: 20, maxFiles: 1 })
    const narrow = '{"s":"eeeeee"}\n' // 15 characters, 15 bytes
    const wide = '{"s":"éééééé"}\n' // 15 characters, 21 bytes: over the limit, so it gets a file of its own
    await sink.write(narrow)
    await sink.write(wide) // 15 + 15 characters would fit, 15 + 21 bytes do not: rotates first
    await sink.close()
    assert.equal(read(`${path}.1`), narrow)
    assert.equal(read(path), wide)
  })

  it('counts an existing file toward the size limit', async () => {
    const path = freshLog()
    writeFileSync(path, sized(0, 60))
    const { sink } = await open(path, { maxBytes: 100, maxFiles: 3 })
    await sink.write(sized(1, 60))
    await sink.close()
    assert.equal(read(`${path}.1`), sized(0, 60))
    assert.equal(read(path), sized(1, 60))
  })

  it('repairs a partial last line left by a crash, and says how many bytes it dropped', async () => {
    const path = freshLog()
    writeFileSync(path, '{"a":1}\n{"b":2}\n{"c":')
    const { sink, logged } = await open(path)
    assert.deepEqual(logged, [
      `Log ${path}: dropped 5 bytes of a partial last line (an interrupted write)`,
    ])
    await sink.write('{"d":4}\n')
    await sink.close()
    assert.equal(read(path), '{"a":1}\n{"b":2}\n{"d":4}\n')
  })

  it('repairs a file that is nothing but a partial line, and a partial line longer than the read block', async () => {
    const path = freshLog()
    writeFileSync(path, '{"only":"partial')
    const first = await open(path)
    await first.sink.close()
    assert.equal(read(path), '')
    assert.match(first.logged[0]!, /dropped 16 bytes/)

    const long = freshLog()
    const tail = `{"big":"${'z'.repeat(200_000)}`
    writeFileSync(long, `{"ok":1}\n${tail}`)
    const second = await open(long)
    await second.sink.close()
    assert.equal(read(long), '{"ok":1}\n')
    assert.match(second.logged[0]!, new RegExp(`dropped ${tail.length} bytes`))
  })

  it('keeps publish order with overlapping writes, batching them into fewer syscalls', async () => {
    const path = freshLog()
    const { sink } = await open(path)
    const lines = Array.from({ length: 500 }, (_, i) => `{"i":${i}}\n`)
    await Promise.all(lines.map((line) => sink.write(line)))
    await sink.close()
    assert.equal(read(path), lines.join(''))
    const { writes, linesWritten } = sink.counters
    assert.equal(linesWritten, 500)
    assert.ok(writes < 50, `${writes} writes for 500 lines`)
  })

  it("writes the lines of one turn with one write, then the next turn's with the next, in order", async () => {
    const path = freshLog()
    const { sink } = await open(path)
    const first = Array.from({ length: 10 }, (_, i) => sink.write(`{"a":${i}}\n`))
    await Promise.all(first)
    assert.equal(sink.counters.writes, 1)
    // The next turn: its own write, after the first.
    await sink.write('{"b":1}\n')
    assert.equal(sink.counters.writes, 2)
    await sink.close()
    assert.equal(
      read(path),
      `${Array.from({ length: 10 }, (_, i) => `{"a":${i}}\n`).join('')}{"b":1}\n`,
    )
  })

  it("rotates from the synchronous path's file as from any other", async () => {
    const path = freshLog()
    const { sink } = await open(path, { maxBytes: 20, maxFiles: 2 })
    for (let i = 0; i < 5; i++) await sink.write(`{"i":${i}}\n`) // 8 bytes each: two per file
    await sink.close()
    assert.equal(read(`${path}.2`), '{"i":0}\n{"i":1}\n')
    assert.equal(read(`${path}.1`), '{"i":2}\n{"i":3}\n')
    assert.equal(read(path), '{"i":4}\n')
  })

  it('resolves a line only after its bytes are in the file', async () => {
    const path = freshLog()
    const { sink } = await open(path)
    const pending = Array.from({ length: 100 }, (_, i) => {
      const line = `{"i":${i}}\n`
      return sink.write(line).then(() => {
        // When this line's promise resolves, the file must already hold it.
        assert.ok(read(path).includes(line), `line ${i} resolved before being written`)
      })
    })
    await Promise.all(pending)
    await sink.close()
  })

  it('writes 10,000 concurrent lines, across rotations, each exactly once and in order', async () => {
    const path = freshLog()
    const { sink } = await open(path, { maxBytes: 64 * 1024, maxFiles: 100 })
    const lines = Array.from({ length: 10_000 }, (_, i) =>
      JSON.stringify({
        _event: 'PreToolUse',
        i,
        tool_name: 'Bash',
        pad: 'p'.repeat(i % 50),
      }).concat('\n'),
    )
    await Promise.all(lines.map((line) => sink.write(line)))
    await sink.close()
    const rotations = sink.counters.rotations
    assert.ok(rotations > 3, `${rotations} rotations`)
    let all = ''
    for (let n = rotations; n >= 1; n--) {
      const part = read(`${path}.${n}`)
      assert.ok(statSync(`${path}.${n}`).size <= 64 * 1024)
      assert.ok(part.endsWith('\n'), 'no line straddles two files')
      all += part
    }
    all += read(path)
    assert.equal(all, lines.join(''))
  })

  it('fsyncs after each write when asked, rotation included', async () => {
    const path = freshLog()
    const { sink } = await open(path, { fsync: true, maxBytes: 100, maxFiles: 1 })
    for (let i = 0; i < 4; i++) await sink.write(sized(i, 40))
    await sink.close()
    assert.equal(read(path), sized(2, 40) + sized(3, 40))
    assert.equal(read(`${path}.1`), sized(0, 40) + sized(1, 40))
    const { fsyncs, writes } = sink.counters
    // One fsync per write batch (4) and one before the rotation closed the old file.
    assert.equal(writes, 4)
    assert.equal(fsyncs, 5)

    const plain = freshLog()
    const other = await open(plain)
    await other.sink.write('x\n')
    await other.sink.close()
    assert.equal(other.sink.counters.fsyncs, 0)
  })

  it('flushes queued lines on close and rejects writes after it', async () => {
    const path = freshLog()
    const { sink } = await open(path)
    const pending = [sink.write('1\n'), sink.write('2\n'), sink.write('3\n')]
    await sink.close()
    await Promise.all(pending)
    assert.equal(read(path), '1\n2\n3\n')
    await assert.rejects(sink.write('4\n'), /closed/)
    await sink.close()
  })

  it('rejects the publishes of a failed write and keeps going (disk full)', {
    skip: !existsSync('/dev/full'),
  }, async () => {
    const { sink } = await open('/dev/full', { maxBytes: 0 })
    await assert.rejects(sink.write('x\n'), { code: 'ENOSPC' })
    await assert.rejects(sink.write('y\n'), { code: 'ENOSPC' })
    assert.equal(sink.counters.failures, 2)
    await sink.close()
  })

  it('reports a log it cannot open', async () => {
    await assert.rejects(LogFileSink.open({ path: join(dir, 'missing-dir', 'x.jsonl') }), {
      code: 'ENOENT',
    })
  })
})
