/**
 * Volume, end to end: 10,000 events from 16 concurrent clients (fetch and raw keep-alive sockets over TCP, raw
 * keep-alive clients over the Unix socket) must each appear exactly once in the log and at an output-socket
 * reader. The reader is socat in its own process when available (as a user would read the stream), so the
 * test process's own load cannot make it fall behind.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import {
  completeLines,
  eventually,
  hookBytes,
  type Observatory,
  RawHttp,
  Reader,
  request,
  startCli,
  type Target,
  tempDir,
  WAIT_MS,
} from './helpers.ts'

const TOTAL = 10_000
const CLIENTS = 16
const SOCAT = ['/usr/bin/socat', '/usr/local/bin/socat', '/bin/socat'].find((p) => existsSync(p))

/** A reader of the output socket: socat writing to a file, or an in-process socket without socat. */
async function startReader(
  t: Parameters<typeof tempDir>[0],
  obs: Observatory,
  path: string,
  file: string,
): Promise<() => string[]> {
  if (SOCAT === undefined) {
    t.diagnostic('socat not found: reading the output socket in-process')
    const reader = await Reader.connect(t, obs, path)
    return () => reader.lines()
  }
  const before = obs.countStderr(/Output reader connected/)
  const child: ChildProcess = spawn(SOCAT, ['-u', `UNIX-CONNECT:${path}`, `CREATE:${file}`], {
    stdio: 'ignore',
  })
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  await obs.waitForStderr(/Output reader connected/, before + 1)
  return () => (existsSync(file) ? completeLines(readFileSync(file, 'utf8')) : [])
}

type Client = (ids: string[]) => Promise<void>

function rawClient(target: Target): Client {
  return async (ids) => {
    const client = await RawHttp.connect(target)
    try {
      for (const id of ids) {
        const reply = await client.send(
          hookBytes(
            id.startsWith('u') ? 'UnixEvent' : 'TcpEvent',
            JSON.stringify({ id, tool_name: 'Raw' }),
          ),
        )
        assert.equal(reply.status, 200, id)
      }
    } finally {
      client.close()
    }
  }
}

function fetchClient(port: number): Client {
  return async (ids) => {
    for (const id of ids) {
      const response = await fetch(`http://127.0.0.1:${port}/hook?event=PreToolUse`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ id, tool_name: 'Fetch', text: 'é😀' }),
        signal: AbortSignal.timeout(WAIT_MS),
      })
      assert.equal(response.status, 200, id)
      await response.arrayBuffer()
    }
  }
}

test('10,000 events from 16 concurrent clients: each exactly once in the log and at a reader', {
  timeout: 600_000,
}, async (t) => {
  const dir = tempDir(t)
  const log = `${dir}/events.jsonl`
  const out = `${dir}/out.sock`
  const obs = await startCli(t, [
    '--socket',
    `${dir}/in.sock`,
    '--port',
    '0',
    '--output-socket',
    out,
    '--log',
    log,
    '--quiet',
  ])
  const readerLines = await startReader(t, obs, out, `${dir}/reader.jsonl`)

  // 5 fetch clients and 5 raw clients over TCP, 6 raw clients over the Unix socket.
  const clients: { prefix: string; run: Client }[] = []
  for (let i = 0; i < CLIENTS; i++) {
    if (i < 5) clients.push({ prefix: `f${i}`, run: fetchClient(obs.tcp.port) })
    else if (i < 10) clients.push({ prefix: `t${i}`, run: rawClient(obs.tcp) })
    else clients.push({ prefix: `u${i}`, run: rawClient(obs.unix) })
  }
  const perClient = TOTAL / CLIENTS
  const expected = new Set<string>()
  const started = Date.now()
  await Promise.all(
    clients.map(({ prefix, run }) => {
      const ids = Array.from({ length: perClient }, (_, n) => `${prefix}-${n}`)
      for (const id of ids) expected.add(id)
      return run(ids)
    }),
  )
  const seconds = (Date.now() - started) / 1000
  t.diagnostic(
    `${TOTAL} events in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)} events/s)`,
  )
  assert.equal(expected.size, TOTAL)

  const stats = JSON.parse((await request(obs.tcp, { path: '/stats' })).body)
  assert.equal(stats.totalEvents, TOTAL)
  assert.deepEqual(stats.eventsByType, { UnixEvent: 3750, PreToolUse: 3125, TcpEvent: 3125 })
  // topTools counts tool calls, on PreToolUse (stats.ts): the raw clients' made-up events carry a tool_name
  // but are no calls.
  assert.deepEqual(stats.topTools, [{ tool: 'Fetch', count: 3125 }])
  assert.equal(stats.readers.readersDropped, 0, 'the reader kept up')

  /** Every expected id exactly once, nothing else; lines whole and well-formed. */
  const checkOnce = (lines: string[], where: string): void => {
    const seen = new Map<string, number>()
    for (const line of lines) {
      const event = JSON.parse(line)
      assert.equal(typeof event._event, 'string')
      seen.set(event.id, (seen.get(event.id) ?? 0) + 1)
    }
    const missing = [...expected].filter((id) => !seen.has(id))
    const doubled = [...seen].filter(([, n]) => n > 1).map(([id]) => id)
    const unexpected = [...seen.keys()].filter((id) => !expected.has(id))
    assert.deepEqual(
      { missing: missing.slice(0, 10), doubled: doubled.slice(0, 10), unexpected },
      {
        missing: [],
        doubled: [],
        unexpected: [],
      },
      where,
    )
    assert.equal(lines.length, TOTAL, where)
  }

  // Acknowledged means written: the log is complete now, before any shutdown.
  checkOnce(completeLines(readFileSync(log, 'utf8')), 'log')
  await eventually(
    () => readerLines().length >= TOTAL,
    () => `the reader (${readerLines().length} lines)`,
  )
  checkOnce(readerLines(), 'reader')

  // Per client, the order of its own events is kept (each client waits for its 200 before the next).
  const logLines = completeLines(readFileSync(log, 'utf8')).map((l) => JSON.parse(l).id as string)
  for (const { prefix } of clients) {
    const own = logLines
      .filter((id) => id.startsWith(`${prefix}-`))
      .map((id) => Number(id.split('-')[1]))
    assert.deepEqual(
      own,
      Array.from({ length: perClient }, (_, n) => n),
      `order of ${prefix}`,
    )
  }

  await obs.stopCleanly()
  assert.equal(obs.stdout(), '', 'with --output-socket alone, nothing on stdout')
})
