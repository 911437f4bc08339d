/**
 * The OTLP exporter end to end, through the real CLI: observatory A (`--otlp-endpoint`) exports to observatory B
 * through a small in-test OTLP/HTTP relay, which keeps what it sees (logs and spans, decoded from JSON) and can
 * forward the logs to B, hold every request (a receiver that hangs), or answer 503 (one that is down).
 *
 * - a session's events reach B exactly once, their lines intact (A's stdout line = B's line with the origin's
 *   identity put back), marked forwarded, with no local identity; B's sessions API has the session and its tool
 *   calls; a resent batch is recognized as duplicates; the spans are a trace per session, the turn as parent;
 * - with the receiver hanging, then failing: what is in flight never exceeds --otlp-queue, the drops are counted
 *   exactly (dropped = posted − exported), and once the receiver is back later events arrive; at shutdown, what is
 *   still in flight after the bounded flush is counted and said.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { encodeJson, type JsonObject, parseJson } from '../../../src/observatory/encoding/index.ts'
import {
  originalEvent,
  sessionTraceId,
  toolSpanId,
  turnSpanId,
} from '../../../src/observatory/otlp/observatory-records.ts'
import type { SessionDetail, SessionSummary } from '../../../src/observatory/sessions/types.ts'
import {
  type Observatory,
  postEvent,
  request,
  sleep,
  startCli,
  type Target,
  tempDir,
  WAIT_MS,
} from '../helpers.ts'

type Json = Record<string, unknown>
type Mode = 'up' | 'hang' | 'fail'

/** An OTLP/HTTP JSON receiver for the tests: keeps, forwards, holds or fails what it is sent. */
class Relay {
  mode: Mode = 'up'
  /** Each /v1/logs request's body, as received. */
  readonly logs: Json[] = []
  readonly traces: Json[] = []
  readonly headers: http.IncomingHttpHeaders[] = []
  forwardTo: Target | undefined
  readonly #held: http.ServerResponse[] = []
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void this.#answer(req, Buffer.concat(chunks), res)
    })
  })

  async start(t: TestContext): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    t.after(() => {
      this.#server.closeAllConnections()
      this.#server.close()
    })
    return (this.#server.address() as AddressInfo).port
  }

  /** Change the mode; requests held so far are answered as the new mode says (503 unless hanging). */
  set(mode: Mode): void {
    this.mode = mode
    if (mode === 'hang') return
    for (const res of this.#held.splice(0)) fail(res)
  }

  get held(): number {
    return this.#held.length
  }

  async #answer(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): Promise<void> {
    if (this.mode === 'hang') {
      this.#held.push(res)
      return
    }
    if (this.mode === 'fail') {
      fail(res)
      return
    }
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw
    const message = JSON.parse(body.toString('utf8')) as Json
    if (req.url === '/v1/traces') {
      this.traces.push(message)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      return
    }
    this.logs.push(message)
    this.headers.push(req.headers)
    if (this.forwardTo === undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      return
    }
    const reply = await request(this.forwardTo, {
      method: 'POST',
      path: '/v1/logs',
      body,
      headers: {
        'content-type': 'application/json',
        ...(req.headers.authorization === undefined
          ? {}
          : { authorization: req.headers.authorization }),
      },
    })
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body)
  }
}

/** Down: 503 with `Retry-After: 0`, so the exporter's retries come at once and give up quickly. */
function fail(res: http.ServerResponse): void {
  res.writeHead(503, { 'retry-after': '0', 'content-type': 'text/plain' }).end('down')
}

interface Signal {
  accepted: number
  exported: number
  failed: number
  queueFull: number
  shutdown: number
  dropped: number
  queued: number
  maxQueue: number
}
interface ExportStats {
  endpoint: string
  instance: string
  logs: Signal
  spans: Signal
  skippedForwarded: number
}

async function getJson<T>(target: Target, path: string, token?: string): Promise<T> {
  const headers = token === undefined ? undefined : { authorization: `Bearer ${token}` }
  const reply = await request(target, { path, ...(headers === undefined ? {} : { headers }) })
  assert.equal(reply.status, 200, `${path}: ${reply.body}`)
  return JSON.parse(reply.body) as T
}

async function exportStats(obs: Observatory): Promise<ExportStats> {
  const stats = await getJson<{ otlpExport: ExportStats | null }>(obs.tcp, '/stats')
  assert.ok(stats.otlpExport, 'otlpExport in /stats')
  return stats.otlpExport
}

/** Poll an async check (bounded: fails after WAIT_MS). */
async function until(check: () => Promise<boolean>, what: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
    await sleep(50)
  }
}

/** `[{key, value:{stringValue|intValue…}}]` → an object. */
function attrs(list: unknown): Json {
  const out: Json = {}
  for (const kv of list as { key: string; value: Json }[]) out[kv.key] = Object.values(kv.value)[0]
  return out
}

interface FlatRecord {
  resource: Json
  scope: string
  body: string
  attributes: Json
  traceId?: string
  spanId?: string
}
function logRecords(messages: Json[]): FlatRecord[] {
  const out: FlatRecord[] = []
  for (const m of messages) {
    for (const rl of m.resourceLogs as Json[]) {
      const resource = attrs((rl.resource as Json).attributes)
      for (const sl of rl.scopeLogs as Json[]) {
        const scope = (sl.scope as Json).name as string
        for (const lr of sl.logRecords as Json[]) {
          out.push({
            resource,
            scope,
            body: (lr.body as Json).stringValue as string,
            attributes: attrs(lr.attributes),
            ...(typeof lr.traceId === 'string' ? { traceId: lr.traceId } : {}),
            ...(typeof lr.spanId === 'string' ? { spanId: lr.spanId } : {}),
          })
        }
      }
    }
  }
  return out
}

interface FlatSpan {
  name: string
  scope: string
  traceId: string
  spanId: string
  parentSpanId: string
  attributes: Json
  status: number
  start: bigint
  end: bigint
}
function spans(messages: Json[]): FlatSpan[] {
  const out: FlatSpan[] = []
  for (const m of messages) {
    for (const rs of m.resourceSpans as Json[]) {
      for (const ss of rs.scopeSpans as Json[]) {
        for (const s of ss.spans as Json[]) {
          out.push({
            name: s.name as string,
            scope: (ss.scope as Json).name as string,
            traceId: s.traceId as string,
            spanId: s.spanId as string,
            parentSpanId: (s.parentSpanId as string | undefined) ?? '',
            attributes: attrs(s.attributes),
            status: ((s.status as Json | undefined)?.code as number | undefined) ?? 0,
            start: BigInt(s.startTimeUnixNano as string),
            end: BigInt(s.endTimeUnixNano as string),
          })
        }
      }
    }
  }
  return out
}

const TOKEN = 'relay-secret'

describe('OTLP exporter', { concurrency: true, timeout: 180_000 }, () => {
  it('forwards a session to another observatory exactly once, with its spans', async (t) => {
    const dir = tempDir(t)
    const b = await startCli(t, ['--port', '0', '--db', `${dir}/b.db`, '--quiet', '--token', TOKEN])
    const relay = new Relay()
    relay.forwardTo = b.tcp
    const relayPort = await relay.start(t)
    const a = await startCli(t, [
      '--port',
      '0',
      '--no-db',
      '--quiet',
      '--otlp-endpoint',
      `http://127.0.0.1:${relayPort}`,
      '--otlp-header',
      `Authorization=Bearer ${TOKEN}`,
    ])
    assert.match(a.stderr(), /OTLP export: http:\/\/127\.0\.0\.1:\d+\//)

    const session = 'fwd-session-1'
    const base = { session_id: session, cwd: '/work/fwd', transcript_path: '/t/fwd.jsonl' }
    const events: [string, Json][] = [
      ['SessionStart', { source: 'startup' }],
      ['UserPromptSubmit', { prompt: 'list and read', prompt_id: 'fwd-p1' }],
      [
        'PreToolUse',
        { tool_name: 'Bash', tool_use_id: 'toolu_fwd_1', tool_input: { command: 'ls' } },
      ],
      [
        'PostToolUse',
        {
          tool_name: 'Bash',
          tool_use_id: 'toolu_fwd_1',
          tool_input: { command: 'ls' },
          tool_response: { stdout: 'a\nb', exit: 0.0 },
        },
      ],
      [
        'PreToolUse',
        { tool_name: 'Read', tool_use_id: 'toolu_fwd_2', tool_input: { file_path: '/nope' } },
      ],
      [
        'PostToolUseFailure',
        { tool_name: 'Read', tool_use_id: 'toolu_fwd_2', error: 'no such file' },
      ],
      ['Stop', { prompt_id: 'fwd-p1', stop_hook_active: false }],
      ['SessionEnd', { reason: 'exit' }],
    ]
    for (const [event, payload] of events) {
      const reply = await postEvent(a.tcp, event, { ...base, hook_event_name: event, ...payload })
      assert.equal(reply.status, 200)
    }
    const linesA = await a.waitForStdoutLines(events.length)

    // Every record and span exported (the relay answered 2xx), nothing dropped.
    await until(
      async () => {
        const s = await exportStats(a)
        return s.logs.exported === events.length && s.spans.exported === 3
      },
      () => `A exporting ${events.length} records and 3 spans`,
    )
    const statsA = await exportStats(a)
    assert.equal(statsA.endpoint, `http://127.0.0.1:${relayPort}/`)
    assert.deepEqual(
      { ...statsA.logs, maxQueue: 0 },
      {
        accepted: 8,
        exported: 8,
        failed: 0,
        queueFull: 0,
        shutdown: 0,
        dropped: 0,
        queued: 0,
        maxQueue: 0,
      },
    )
    assert.equal(statsA.spans.dropped, 0)

    // B has each event once, as A wrote it, marked forwarded, without local identity.
    const linesB = await b.waitForStdoutLines(events.length)
    assert.equal(linesB.length, events.length)
    for (const [i, lineB] of linesB.entries()) {
      const forwarded = parseJson(lineB) as JsonObject
      assert.equal(encodeJson(originalEvent(forwarded)), linesA[i], `event ${i}`)
      const top = JSON.parse(lineB) as Json
      assert.equal('_client' in top, false)
      assert.equal('_peer_uid' in top, false)
      const marker = top._forwarded as Json
      assert.equal(marker.instance, statsA.instance)
      assert.equal(marker.uid, `${statsA.instance}:${i + 1}`)
      assert.equal(marker._client, '127.0.0.1')
      assert.equal(typeof marker.host, 'string')
    }
    // B does not export what it received (it has no exporter anyway), and says what it took in.
    const statsB = await getJson<{ forwarded: Json; otlpExport: unknown }>(b.tcp, '/stats', TOKEN)
    assert.deepEqual(statsB.forwarded, { received: 8, ingested: 8, duplicates: 0, malformed: 0 })
    assert.equal(statsB.otlpExport, null)

    // The records as they travelled: resource, scope, attributes.
    const records = logRecords(relay.logs)
    assert.equal(records.length, events.length)
    assert.equal(relay.headers[0]!.authorization, `Bearer ${TOKEN}`)
    assert.match(String(relay.headers[0]!['content-type']), /^application\/json/)
    const traceId = sessionTraceId(session)
    for (const [i, r] of records.entries()) {
      assert.equal(r.scope, 'hooks-observatory')
      assert.equal(r.resource['service.name'], 'hooks-observatory')
      assert.equal(r.resource['service.instance.id'], statsA.instance)
      assert.equal(typeof r.resource['host.name'], 'string')
      assert.equal(`${r.body}\n`, `${linesA[i]}\n`)
      assert.equal(r.attributes['hook.event.name'], events[i]![0])
      assert.equal(r.attributes['log.record.uid'], `${statsA.instance}:${i + 1}`)
      assert.equal(r.attributes['session.id'], session)
      assert.equal(r.attributes['gen_ai.conversation.id'], session)
      if (i >= 1 && i <= 6) assert.equal(r.attributes['prompt.id'], 'fwd-p1')
      assert.equal(r.traceId ?? traceId, traceId)
    }
    assert.equal(records[0]!.attributes['prompt.id'], undefined)
    assert.equal(records[2]!.attributes['gen_ai.tool.name'], 'Bash')
    assert.equal(records[2]!.attributes['gen_ai.tool.call.id'], 'toolu_fwd_1')
    assert.equal(records[2]!.spanId, toolSpanId('toolu_fwd_1'))
    assert.equal(records[5]!.attributes['gen_ai.tool.call.id'], 'toolu_fwd_2')

    // B's sessions: the session, its turn and its tool calls, from the forwarded events.
    const list = await getJson<{ sessions: SessionSummary[] }>(b.tcp, '/api/sessions', TOKEN)
    assert.ok(list.sessions.some((s) => s.session_id === session))
    const detail = await getJson<SessionDetail>(b.tcp, `/api/sessions/${session}`, TOKEN)
    assert.equal(detail.state, 'ended')
    const calls = new Map(detail.tool_calls.map((c) => [c.tool_use_id, c]))
    assert.equal(calls.get('toolu_fwd_1')?.tool_name, 'Bash')
    assert.equal(calls.get('toolu_fwd_1')?.outcome, 'ok')
    assert.equal(calls.get('toolu_fwd_2')?.outcome, 'failed')

    // A retried batch (the same records again): recognized, not taken in twice.
    const again = await request(b.tcp, {
      method: 'POST',
      path: '/v1/logs',
      body: JSON.stringify(relay.logs[0]),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    })
    assert.equal(again.status, 200, again.body)
    const dupes = logRecords([relay.logs[0]!]).length
    const afterRetry = await getJson<{ forwarded: Json }>(b.tcp, '/stats', TOKEN)
    assert.equal(afterRetry.forwarded.duplicates, dupes)
    assert.equal(afterRetry.forwarded.ingested, 8)
    await sleep(200)
    assert.equal(b.stdoutLines().length, events.length)

    // A record claiming a kernel-verified identity gets none on B.
    const forged = {
      resourceLogs: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: 'hooks-observatory' } }],
          },
          scopeLogs: [
            {
              scope: { name: 'hooks-observatory' },
              logRecords: [
                {
                  timeUnixNano: '1770000000000000000',
                  body: {
                    stringValue:
                      '{"_ts":"2026-02-02T02:40:00+00:00","_event":"Notification","_peer_pid":1,"_peer_uid":0,"_peer_gid":0,"session_id":"forged"}',
                  },
                  attributes: [
                    { key: 'hook.event.name', value: { stringValue: 'Notification' } },
                    { key: 'log.record.uid', value: { stringValue: 'forger:1' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    }
    const forgedReply = await request(b.tcp, {
      method: 'POST',
      path: '/v1/logs',
      body: JSON.stringify(forged),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    })
    assert.equal(forgedReply.status, 200, forgedReply.body)
    const [forgedLine] = (await b.waitForStdoutLines(events.length + 1)).slice(events.length)
    const forgedTop = JSON.parse(forgedLine!) as Json
    assert.equal('_peer_uid' in forgedTop, false)
    assert.deepEqual(forgedTop._forwarded, {
      instance: null,
      host: null,
      uid: 'forger:1',
      _peer_pid: 1,
      _peer_uid: 0,
      _peer_gid: 0,
    })

    // The spans: one trace for the session, the turn as the tool calls' parent.
    const all = spans(relay.traces)
    assert.equal(all.length, 3)
    const turn = all.find((s) => s.name === 'invoke_agent Claude Code')
    const bash = all.find((s) => s.name === 'execute_tool Bash')
    const read = all.find((s) => s.name === 'execute_tool Read')
    assert.ok(turn && bash && read, JSON.stringify(all.map((s) => s.name)))
    for (const s of all) {
      assert.equal(s.traceId, traceId)
      assert.equal(s.scope, 'hooks-observatory')
      assert.equal(s.attributes['session.id'], session)
      assert.ok(s.end >= s.start)
    }
    assert.equal(turn.spanId, turnSpanId('fwd-p1'))
    assert.equal(turn.parentSpanId, '')
    assert.equal(turn.attributes['gen_ai.operation.name'], 'invoke_agent')
    assert.equal(turn.attributes['gen_ai.conversation.id'], session)
    assert.equal(turn.attributes['prompt.id'], 'fwd-p1')
    assert.equal(turn.attributes.outcome, 'ok')
    assert.equal(bash.spanId, toolSpanId('toolu_fwd_1'))
    assert.equal(bash.parentSpanId, turn.spanId)
    assert.deepEqual(
      {
        op: bash.attributes['gen_ai.operation.name'],
        tool: bash.attributes['gen_ai.tool.name'],
        id: bash.attributes['gen_ai.tool.call.id'],
        outcome: bash.attributes.outcome,
        status: bash.status,
      },
      { op: 'execute_tool', tool: 'Bash', id: 'toolu_fwd_1', outcome: 'ok', status: 0 },
    )
    assert.equal(read.parentSpanId, turn.spanId)
    assert.equal(read.attributes.outcome, 'failed')
    assert.equal(read.attributes['error.type'], 'failed')
    assert.equal(read.status, 2) // STATUS_CODE_ERROR
    assert.ok(turn.start <= bash.start && bash.end <= turn.end)

    await a.stopCleanly()
    await b.stopCleanly()
  })

  it('bounds what waits, counts every drop exactly, and recovers', async (t) => {
    const relay = new Relay()
    relay.set('hang')
    const relayPort = await relay.start(t)
    const queue = 4
    const a = await startCli(t, [
      '--port',
      '0',
      '--no-db',
      '--quiet',
      '--otlp-endpoint',
      `http://127.0.0.1:${relayPort}/`,
      '--otlp-queue',
      String(queue),
      '--otlp-timeout',
      '60s',
    ])
    const post = async (n: number) => {
      const reply = await postEvent(a.tcp, 'Notification', {
        session_id: 'down-1',
        hook_event_name: 'Notification',
        message: `n${n}`,
      })
      assert.equal(reply.status, 200)
    }

    // The receiver hangs: the first `queue` records are in flight, every later one is refused and counted.
    const posted = 20
    for (let i = 0; i < posted; i++) {
      await post(i)
      const s = await exportStats(a)
      assert.ok(s.logs.queued <= queue, `queued ${s.logs.queued} > ${queue}`)
      assert.equal(s.logs.accepted + s.logs.queueFull, i + 1)
    }
    let s = await exportStats(a)
    assert.deepEqual(
      [s.logs.accepted, s.logs.queued, s.logs.queueFull, s.logs.exported],
      [queue, queue, posted - queue, 0],
    )
    assert.equal(s.spans.accepted, 0) // Notification events make no span

    // Then it fails (503): the export gives up after its retries; the records in flight are counted as failed.
    await until(
      async () => relay.held > 0,
      () => 'the held export',
    )
    relay.set('fail')
    await until(
      async () => (await exportStats(a)).logs.queued === 0,
      () => 'the failed export to settle',
    )
    s = await exportStats(a)
    assert.equal(s.logs.exported, 0)
    assert.equal(s.logs.failed, queue)
    assert.equal(s.logs.dropped, posted - s.logs.exported)
    await a.waitForStderr(/OTLP export to http:\/\/127\.0\.0\.1:\d+\/ failed/)

    // It comes back: later events arrive, and the counts still add up.
    relay.set('up')
    const later = 3
    for (let i = 0; i < later; i++) await post(posted + i)
    await until(
      async () => (await exportStats(a)).logs.exported === later,
      () => `${later} records exported after the recovery`,
    )
    s = await exportStats(a)
    assert.equal(s.logs.dropped, posted + later - s.logs.exported)
    assert.equal(s.logs.queued, 0)
    const bodies = logRecords(relay.logs).map((r) => `${r.body}\n`)
    const lines = a.stdoutLines().map((l) => `${l}\n`)
    assert.deepEqual(bodies, lines.slice(posted))
    await a.waitForStderr(/OTLP export to .* working again/)

    // Shutdown with the receiver hanging: the flush is bounded, what is still in flight is counted and said.
    relay.set('hang')
    await post(100)
    await post(101)
    await until(
      async () => relay.held > 0,
      () => 'the export held at shutdown',
    )
    await a.stopCleanly()
    assert.match(a.stderr(), /2 log records and 0 spans still in flight were dropped at shutdown/)
  })

  it('checks its flags', async () => {
    const { runCli } = await import('../helpers.ts')
    const bad = await runCli(['serve', '--port', '0', '--otlp-endpoint', 'ftp://x'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--otlp-endpoint must be an http:\/\/ or https:\/\/ URL/)
    const header = await runCli([
      'serve',
      '--port',
      '0',
      '--otlp-endpoint',
      'http://127.0.0.1:1',
      '--otlp-header',
      'no-equals',
    ])
    assert.equal(header.code, 2)
    assert.match(header.stderr, /--otlp-header must be NAME=VALUE/)
    const alone = await runCli(['serve', '--port', '0', '--otlp-queue', '5'])
    assert.equal(alone.code, 2)
    assert.match(alone.stderr, /--otlp-queue requires --otlp-endpoint/)
  })
})
