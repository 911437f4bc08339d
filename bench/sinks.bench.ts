/**
 * The output socket's hand-over to a reader: a turn's lines as one stream write per line under cork (a writev of
 * many small buffers) against one buffer copied together and written once, through a real Unix socket with a
 * reader in this process. And what the flush delay does to the number of writes a reader costs per event.
 *
 *   node --import tsx bench/sinks.bench.ts [--rounds 7]
 *
 * Arms are interleaved per round; medians are reported with ratios to the first arm.
 */
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { OutputSocketSink } from '../src/observatory/sinks/output-socket.ts'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } })
const ROUNDS = Number(values.rounds)
const LINE = Buffer.from(`${JSON.stringify({ id: 'x', text: 'y'.repeat(560) })}\n`)
const dir = mkdtempSync(join(tmpdir(), 'sinks-bench-'))

async function pair(): Promise<{ writer: Socket; reader: Socket; close: () => void }> {
  const path = join(dir, `p-${Math.random()}.sock`)
  const server = createServer()
  server.listen(path)
  await once(server, 'listening')
  const reader = connect(path)
  const [writer] = (await once(server, 'connection')) as [Socket]
  return {
    writer,
    reader,
    close: () => {
      writer.destroy()
      reader.destroy()
      server.close()
    },
  }
}

/** `batches` batches of `lines` lines each, one write request in flight at a time (as the sink does). */
async function handOver(mode: 'cork' | 'concat', lines: number, batches: number): Promise<number> {
  const { writer, reader, close } = await pair()
  let received = 0
  const total = LINE.length * lines * batches
  const done = new Promise<void>((resolve) =>
    reader.on('data', (chunk: Buffer) => {
      received += chunk.length
      if (received >= total) resolve()
    }),
  )
  const pieces = Array.from({ length: lines }, () => LINE)
  const t0 = process.hrtime.bigint()
  for (let b = 0; b < batches; b++) {
    await new Promise<void>((resolve) => {
      if (mode === 'concat') {
        writer.write(Buffer.concat(pieces, LINE.length * lines), () => resolve())
      } else {
        writer.cork()
        for (let i = 0; i < lines - 1; i++) writer.write(pieces[i])
        writer.write(pieces[lines - 1], () => resolve())
        writer.uncork()
      }
    })
  }
  await done
  const ns = Number(process.hrtime.bigint() - t0) / (lines * batches)
  close()
  return ns
}

/** Writes the sink makes to one reader for `events` lines published one per `gapMs`. */
async function writesPerEvent(
  flushDelayMs: number,
  events: number,
  perTurn: number,
): Promise<number> {
  const sink = await OutputSocketSink.listen({
    path: join(dir, `o-${flushDelayMs}-${Math.random()}.sock`),
    flushDelayMs,
    log: () => {},
  })
  const reader = connect(sink.path)
  let chunks = 0
  let lines = 0
  reader.on('data', (chunk: Buffer) => {
    chunks++
    for (const byte of chunk) if (byte === 0x0a) lines++
  })
  await once(reader, 'connect')
  while (sink.counters.readersConnected === 0) await new Promise((r) => setTimeout(r, 1))
  const line = LINE.toString()
  for (let i = 0; i < events; i += perTurn) {
    for (let j = 0; j < perTurn; j++) sink.write(line)
    await new Promise((r) => setTimeout(r, 0.3)) // timers round up to 1 ms: ~1,000 turns/s
  }
  while (lines < events) await new Promise((r) => setTimeout(r, 5))
  reader.destroy()
  await sink.close()
  return chunks / events // a reader's read returns at least one write's bytes: ≥ writes, ≈ writes here
}

const results = new Map<string, number[]>()
const add = (name: string, v: number) => results.set(name, [...(results.get(name) ?? []), v])
for (let round = 0; round <= ROUNDS; round++) {
  for (const lines of [4, 16]) {
    const cork = await handOver('cork', lines, 2000)
    const concat = await handOver('concat', lines, 2000)
    if (round > 0) {
      add(`${lines} lines per write: cork + ${lines} writes (ns/line)`, cork)
      add(`${lines} lines per write: one concatenated buffer (ns/line)`, concat)
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
let base = 0
for (const [name, list] of results) {
  const m = median(list)
  if (name.includes('cork')) base = m
  process.stdout.write(
    `${name.padEnd(60)} ${m.toFixed(0).padStart(6)}  ${(m / base).toFixed(2)}×\n`,
  )
}
for (const delay of [0, 2]) {
  const per = await writesPerEvent(delay, 3000, 1)
  process.stdout.write(
    `flushDelayMs ${delay}: one event per turn, reader reads per event ${per.toFixed(3)}\n`,
  )
}
rmSync(dir, { recursive: true, force: true })
