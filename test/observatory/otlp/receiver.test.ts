/**
 * The OTLP/HTTP JSON receiver through the real CLI: telemetry joined with the hook sessions in /api/sessions and
 * /api/sessions/{id}, a session known only from telemetry, gzip bodies (and one inflating past the body limit),
 * partial success, malformed bodies (400 with a Status), protobuf bodies, other content types (415), traces and metrics, the
 * token guard. Storing the other telemetry (events, metric points, spans): telemetry.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { gzipSync } from 'node:zlib'
import type { SessionDetail, SessionSummary } from '../../../src/observatory/sessions/types.ts'
import { postEvent, request, startCli, type Target, tempDir } from '../helpers.ts'
import { apiRequestLogs } from './vectors.ts'

interface SessionList {
  sessions: SessionSummary[]
  total: number
}

async function serve(t: TestContext, extra: string[] = []) {
  const dir = tempDir(t)
  return startCli(t, ['--port', '0', '--db', `${dir}/o.db`, '--quiet', ...extra])
}

function post(
  target: Target,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
) {
  return request(target, { method: 'POST', path, body, headers })
}

async function json<T>(target: Target, path: string, headers?: Record<string, string>): Promise<T> {
  const reply = await request(target, { path, ...(headers === undefined ? {} : { headers }) })
  assert.equal(reply.status, 200, `${path}: ${reply.body}`)
  return JSON.parse(reply.body) as T
}

describe('OTLP receiver', { concurrency: true, timeout: 60_000 }, () => {
  it('joins api_request events with the hook sessions, per session and per turn', async (t) => {
    const obs = await serve(t)
    const base = { session_id: 'j-1', cwd: '/work/j', transcript_path: '/t/j-1.jsonl' }
    for (const [event, payload] of [
      ['SessionStart', { source: 'startup' }],
      ['UserPromptSubmit', { prompt: 'hello', prompt_id: 'p-1' }],
      ['Stop', { prompt_id: 'p-1' }],
    ] as const) {
      const reply = await postEvent(obs.tcp, event, { ...base, hook_event_name: event, ...payload })
      assert.equal(reply.status, 200)
    }
    const logs = apiRequestLogs([
      {
        session: 'j-1',
        prompt: 'p-1',
        cost: '0.01',
        input: '100',
        output: 20,
        cacheRead: 3,
        cacheCreation: 4,
      },
      { session: 'j-1', prompt: 'p-1', cost: 0.005, input: 50, output: '10' },
      { session: 'j-1', prompt: 'p-1', cost: 1, input: 1, output: 1, kind: 'tool_result' },
      { session: 'tele-only', prompt: 'q-1', cost: 0.5, input: 7, output: 8 },
    ])
    const reply = await post(obs.tcp, '/v1/logs', JSON.stringify(logs))
    assert.equal(reply.status, 200, reply.body)
    assert.deepEqual(JSON.parse(reply.body), {})
    assert.match(String(reply.headers['content-type']), /^application\/json/)

    const list = await json<SessionList>(obs.tcp, '/api/sessions')
    const j = list.sessions.find((s) => s.session_id === 'j-1')
    assert.ok(j)
    assert.equal(j.state, 'waiting for input')
    assert.ok(j.usage)
    assert.ok(Math.abs(j.usage.cost_usd - 0.015) < 1e-12)
    assert.equal(j.usage.input_tokens, 150)
    assert.equal(j.usage.output_tokens, 30)
    assert.equal(j.usage.cache_read_tokens, 3)
    assert.equal(j.usage.cache_creation_tokens, 4)
    assert.equal(j.usage.api_requests, 2)
    assert.equal(j.usage.api_duration_ms, 80)
    assert.deepEqual(j.usage.models, ['claude-sonnet-4-5'])
    // Known only from telemetry: listed idle, with its usage.
    const only = list.sessions.find((s) => s.session_id === 'tele-only')
    assert.ok(only)
    assert.equal(only.state, 'idle')
    assert.equal(only.usage?.cost_usd, 0.5)
    assert.equal(list.total, 2)

    const detail = await json<SessionDetail>(obs.tcp, '/api/sessions/j-1')
    assert.equal(detail.turns.length, 1)
    assert.equal(detail.turns[0]?.prompt_id, 'p-1')
    assert.equal(detail.turns[0]?.usage?.api_requests, 2)
    assert.equal(detail.usage?.input_tokens, 150)
    const teleDetail = await json<SessionDetail>(obs.tcp, '/api/sessions/tele-only')
    assert.equal(teleDetail.turns[0]?.prompt_id, 'q-1')
    assert.equal(teleDetail.turns[0]?.usage?.cost_usd, 0.5)

    // A session with hooks only: usage null.
    await postEvent(obs.tcp, 'SessionStart', {
      session_id: 'hooks-only',
      hook_event_name: 'SessionStart',
    })
    const again = await json<SessionList>(obs.tcp, '/api/sessions')
    assert.equal(again.sessions.find((s) => s.session_id === 'hooks-only')?.usage, null)
    const hooksOnly = await json<SessionDetail>(obs.tcp, '/api/sessions/hooks-only')
    assert.equal(hooksOnly.usage, null)
    assert.equal((await request(obs.tcp, { path: '/api/sessions/nobody' })).status, 404)
    // Telemetry is not a hook event: nothing was stored as one.
    const events = await json<{ events: { event: string }[] }>(obs.tcp, '/api/events')
    assert.ok(events.events.every((e) => e.event !== ''))
    assert.equal(events.events.length, 4)
  })

  it('gzip bodies, partial success, malformed bodies, content types, traces and metrics', async (t) => {
    const obs = await serve(t, ['--max-body', '100000'])
    const logs = JSON.stringify(
      apiRequestLogs([{ session: 'g-1', prompt: 'p', cost: 0.25, input: 1, output: 2 }]),
    )
    const gz = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }
    const zipped = await post(obs.tcp, '/v1/logs', gzipSync(logs), gz)
    assert.equal(zipped.status, 200, zipped.body)
    const list = await json<SessionList>(obs.tcp, '/api/sessions')
    assert.equal(list.sessions[0]?.usage?.cost_usd, 0.25)

    // Inflating past the body limit: 413, however small the compressed body.
    const bomb = await post(obs.tcp, '/v1/logs', gzipSync(Buffer.alloc(1_000_000, 0x20)), gz)
    assert.equal(bomb.status, 413)
    const notGzip = await post(obs.tcp, '/v1/logs', '{}', gz)
    assert.equal(notGzip.status, 400)
    assert.equal(JSON.parse(notGzip.body).code, 3)

    const partial = await post(
      obs.tcp,
      '/v1/logs',
      JSON.stringify(
        apiRequestLogs([
          { cost: 1, input: 1, output: 1 },
          { session: 'g-1', prompt: 'p', cost: 0.25, input: 1, output: 2 },
        ]),
      ),
    )
    assert.equal(partial.status, 200)
    assert.deepEqual(JSON.parse(partial.body), {
      partialSuccess: { rejectedLogRecords: 1, errorMessage: 'an api_request without session.id' },
    })

    for (const body of [
      'not json',
      '[1]',
      '{"resourceLogs":{}}',
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":1}]}]}]}]}',
    ]) {
      const bad = await post(obs.tcp, '/v1/logs', body)
      assert.equal(bad.status, 400, body)
      const status = JSON.parse(bad.body) as { code: number; message: string }
      assert.equal(status.code, 3)
      assert.equal(typeof status.message, 'string')
    }
    const empty = await post(obs.tcp, '/v1/logs', '{}')
    assert.equal(empty.status, 200)
    assert.deepEqual(JSON.parse(empty.body), {})

    // Protobuf (Claude Code's default): one empty ResourceLogs is a valid request; a truncated one is not.
    const proto = await post(obs.tcp, '/v1/logs', Buffer.from([0x0a, 0x00]), {
      'Content-Type': 'application/x-protobuf',
    })
    assert.equal(proto.status, 200, proto.body)
    assert.deepEqual(JSON.parse(proto.body), {})
    const truncated = await post(obs.tcp, '/v1/logs', Buffer.from([0x0a, 0x05, 0x0a]), {
      'Content-Type': 'application/x-protobuf',
    })
    assert.equal(truncated.status, 400)
    assert.equal(JSON.parse(truncated.body).code, 3)
    assert.equal(
      (await post(obs.tcp, '/v1/metrics', 'x', { 'Content-Type': 'text/plain' })).status,
      415,
    )

    const metrics = await post(
      obs.tcp,
      '/v1/metrics',
      JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  { name: 'claude_code.cost.usage', sum: { dataPoints: [{ asDouble: 0.1 }] } },
                ],
              },
            ],
          },
        ],
      }),
    )
    assert.equal(metrics.status, 200)
    assert.deepEqual(JSON.parse(metrics.body), {})
    assert.equal((await post(obs.tcp, '/v1/metrics', '{"resourceMetrics":3}')).status, 400)
    const traces = await post(
      obs.tcp,
      '/v1/traces',
      JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'claude_code.interaction' }] }] }],
      }),
    )
    assert.equal(traces.status, 200)
    // A span without ids cannot be kept (the others are: telemetry.test.ts).
    assert.deepEqual(JSON.parse(traces.body), {
      partialSuccess: {
        rejectedSpans: 1,
        errorMessage: 'a span without a valid traceId and spanId (16 and 8 bytes, hex)',
      },
    })

    // Still alive and counting.
    const stats = await json<{
      otlp: { requests: number; malformed: number; apiRequests: number }
    }>(obs.tcp, '/stats')
    assert.equal(stats.otlp.apiRequests, 2)
    assert.equal(stats.otlp.malformed, 7)
  })

  it('sits behind the token guard', async (t) => {
    const obs = await serve(t, ['--token', 'sekrit-token-1234'])
    const body = JSON.stringify(apiRequestLogs([{ session: 'k', cost: 1, input: 1, output: 1 }]))
    const none = await post(obs.tcp, '/v1/logs', body)
    assert.equal(none.status, 401)
    const ok = await post(obs.tcp, '/v1/logs', body, {
      'Content-Type': 'application/json',
      Authorization: 'Bearer sekrit-token-1234',
    })
    assert.equal(ok.status, 200, ok.body)
  })
})
