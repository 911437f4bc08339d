/**
 * `GET /api/stats/usage`: in process against a store with known API requests and a fixed clock (the default
 * window, `tz` in its forms, dates at an offset, the values per day, per model, the latency and the total, the
 * 400s with their sentences, the OpenAPI document, no store: 503), then end to end through the real CLI with
 * telemetry posted to `/v1/logs`.
 */
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { App } from '../../src/framework/index.ts'
import { registerUsage } from '../../src/observatory/api/index.ts'
import type { ApiRequestRow } from '../../src/observatory/store/store.ts'
import type { UsageStats } from '../../src/observatory/store/usage.ts'
import { call, memoryLogger } from '../framework/helpers.ts'
import { postEvent, request, startCli, tempDir } from './helpers.ts'
import { openStore } from './store/helpers.ts'
import { apiRequestLogBody } from './usage-logs.ts'

const HOUR = 3_600_000
const DAY = 86_400_000
const NOW = Date.parse('2025-03-10T12:00:00Z')

function row(ts: number, extra: Partial<ApiRequestRow> = {}): ApiRequestRow {
  return {
    ts,
    session_id: 's1',
    prompt_id: 'p1',
    model: 'claude-sonnet-4-5',
    cost_usd: 0.5,
    input_tokens: 100,
    output_tokens: 10,
    cache_read_tokens: 1000,
    cache_creation_tokens: 50,
    duration_ms: 1000,
    ...extra,
  }
}

async function appWith(t: TestContext, rows: ApiRequestRow[]): Promise<App> {
  const { store } = openStore(t)
  await store.putApiRequests(rows)
  await store.flush()
  const app = new App({ logger: memoryLogger() })
  registerUsage(app, { store, now: () => NOW })
  app.openapi()
  return app
}

async function get(app: App, path: string): Promise<{ status: number; body: UsageStats }> {
  const reply = await call(app.handler, path)
  return { status: reply.status, body: reply.json() as UsageStats }
}

describe('GET /api/stats/usage', { concurrency: true }, () => {
  const rows = [
    // 2025-03-09 23:30 UTC: the 9th in UTC, the 10th at UTC+01:00.
    row(Date.parse('2025-03-09T23:30:00Z'), { cost_usd: 1, duration_ms: 200 }),
    row(Date.parse('2025-03-10T08:00:00Z'), { cost_usd: 2, duration_ms: 400 }),
    row(Date.parse('2025-03-10T09:00:00Z'), {
      cost_usd: 0.25,
      model: 'claude-haiku-4-5',
      duration_ms: 100,
      output_tokens: 5,
    }),
    // Out of the default window (30 days: from 2025-02-09 00:00 UTC).
    row(Date.parse('2025-02-08T23:59:59Z'), { cost_usd: 100 }),
    // In the future of the clock: after `until`.
    row(NOW + HOUR, { cost_usd: 1000 }),
  ]

  it('defaults to the last 30 calendar days (UTC), with every day listed', async (t) => {
    const app = await appWith(t, rows)
    const { status, body } = await get(app, '/api/stats/usage')
    assert.equal(status, 200)
    assert.equal(body.since, Date.parse('2025-02-09T00:00:00Z'))
    assert.equal(body.until, NOW)
    assert.equal(body.tz_offset_minutes, 0)
    assert.equal(body.days.length, 30)
    assert.equal(body.days[0]?.day, '2025-02-09')
    assert.equal(body.days.at(-1)?.day, '2025-03-10')
    assert.deepEqual(
      body.days.filter((d) => d.api_requests > 0).map((d) => [d.day, d.cost_usd, d.api_requests]),
      [
        ['2025-03-09', 1, 1],
        ['2025-03-10', 2.25, 2],
      ],
    )
    assert.deepEqual(body.days[0], {
      day: '2025-02-09',
      cost_usd: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_creation_tokens: 0,
      api_requests: 0,
    })
    assert.deepEqual(body.total, {
      cost_usd: 3.25,
      input_tokens: 300,
      output_tokens: 25,
      cache_read_tokens: 3000,
      cache_creation_tokens: 150,
      api_requests: 3,
    })
    assert.deepEqual(body.models, [
      {
        model: 'claude-sonnet-4-5',
        cost_usd: 3,
        input_tokens: 200,
        output_tokens: 20,
        cache_read_tokens: 2000,
        cache_creation_tokens: 100,
        api_requests: 2,
        p50_ms: 200,
        p95_ms: 400,
      },
      {
        model: 'claude-haiku-4-5',
        cost_usd: 0.25,
        input_tokens: 100,
        output_tokens: 5,
        cache_read_tokens: 1000,
        cache_creation_tokens: 50,
        api_requests: 1,
        p50_ms: 100,
        p95_ms: 100,
      },
    ])
    assert.deepEqual(body.latency, {
      api_requests: 3,
      timed_requests: 3,
      p50_ms: 200,
      p95_ms: 400,
      p99_ms: 400,
      max_ms: 400,
    })
  })

  it('starts days at tz, in minutes or ±HH:MM, and reads bare dates at tz', async (t) => {
    const app = await appWith(t, rows)
    const east = await get(app, '/api/stats/usage?tz=60')
    assert.equal(east.status, 200)
    assert.equal(east.body.since, Date.parse('2025-02-09T00:00:00+01:00'))
    assert.equal(east.body.tz_offset_minutes, 60)
    assert.deepEqual(
      east.body.days.filter((d) => d.api_requests > 0).map((d) => [d.day, d.cost_usd]),
      // The one at 2025-02-08 23:59:59 UTC is 00:59:59 on the 9th here: in the window's first day.
      [
        ['2025-02-09', 100],
        ['2025-03-10', 3.25],
      ],
    )
    for (const tz of ['%2B01:00', '+01:00', '%2B0100', '60']) {
      const same = await get(app, `/api/stats/usage?tz=${tz}`)
      assert.equal(same.status, 200, tz)
      assert.equal(same.body.since, east.body.since, tz)
    }
    const west = await get(app, '/api/stats/usage?tz=-05:00')
    assert.equal(west.body.tz_offset_minutes, -300)
    assert.equal(west.body.days.at(-1)?.day, '2025-03-10')
    assert.equal((await get(app, '/api/stats/usage?tz=Z')).body.tz_offset_minutes, 0)

    const dated = await get(app, '/api/stats/usage?since=2025-03-10&until=2025-03-11&tz=60')
    assert.equal(dated.body.since, Date.parse('2025-03-10T00:00:00+01:00'))
    assert.equal(dated.body.until, Date.parse('2025-03-11T00:00:00+01:00'))
    assert.deepEqual(
      dated.body.days.map((d) => d.day),
      ['2025-03-10'],
    )
    // 2025-03-09 23:00 UTC to 2025-03-10 23:00 UTC: the three of the day, and the one after the clock (an
    // explicit until is taken as given).
    assert.equal(dated.body.total.api_requests, 4)
    assert.equal(dated.body.total.cost_usd, 1003.25)
  })

  it('takes durations back from now, ISO times and epoch ms; since inclusive, until exclusive', async (t) => {
    const app = await appWith(t, rows)
    const day = await get(app, '/api/stats/usage?since=24h')
    assert.equal(day.body.since, NOW - DAY)
    assert.equal(day.body.total.api_requests, 3)
    const at = Date.parse('2025-03-10T08:00:00Z')
    const exact = await get(app, `/api/stats/usage?since=${at}&until=${at + 1}`)
    assert.equal(exact.body.total.cost_usd, 2)
    const before = await get(app, `/api/stats/usage?since=${at - 1}&until=${at}`)
    assert.equal(before.body.total.api_requests, 0)
    assert.deepEqual(before.body.models, [])
    assert.equal(before.body.latency.p50_ms, null)
    const iso = await get(
      app,
      '/api/stats/usage?since=2025-03-10T08:30:00Z&until=2025-03-10T10:00:00%2B01:00',
    )
    assert.equal(iso.body.total.api_requests, 0, '09:00 UTC is 10:00 at UTC+01:00: excluded')
    const local = await get(app, '/api/stats/usage?since=2025-03-10T09:30&tz=60')
    assert.equal(
      local.body.since,
      Date.parse('2025-03-10T08:30:00Z'),
      'a time without offset: at tz',
    )
    assert.equal(local.body.total.api_requests, 1)
    const future = await get(app, `/api/stats/usage?since=${NOW}&until=${NOW + DAY}`)
    assert.equal(future.body.total.cost_usd, 1000)
  })

  it('answers a malformed parameter with a 400 that says what is wrong', async (t) => {
    const app = await appWith(t, rows)
    for (const [query, message] of [
      ['tz=abc', /^tz: 'abc' is not a UTC offset/],
      ['tz=900', /^tz: '900'/],
      ['tz=%2B02:75', /^tz: '\+02:75'/],
      ['since=yesterday', /^since: 'yesterday' is neither a duration/],
      ['until=2025-13-01', /^until: '2025-13-01'/],
      ['since=2025-02-30', /^since: '2025-02-30'/],
      [`since=${NOW}&until=${NOW}`, /^since: must be before until$/],
      ['since=2025-03-11', /^since: must be before until$/],
      ['since=500d', /^since, until: at most 400 days apart$/],
    ] as const) {
      const reply = await call(app.handler, `/api/stats/usage?${query}`)
      assert.equal(reply.status, 400, query)
      const body = reply.json() as { message?: string; error?: string }
      assert.match(body.message ?? body.error ?? '', message, query)
    }
    assert.equal((await call(app.handler, '/api/stats/usage?since=400d')).status, 200)
  })

  it('is in the OpenAPI document, with its parameters', async (t) => {
    const app = await appWith(t, [])
    const doc = (await call(app.handler, '/openapi.json')).json() as {
      paths: Record<string, { get?: { parameters?: { name: string }[]; responses: object } }>
    }
    const op = doc.paths['/api/stats/usage']?.get
    assert.ok(op, 'documented')
    assert.deepEqual(op.parameters?.map((p) => p.name).sort(), ['since', 'tz', 'until'])
    assert.deepEqual(Object.keys(op.responses).sort(), ['200', '400', '422', '503'])
  })

  it('answers an empty store with zeros, and no store with a 503 (as /api/stats/timeline)', async (t) => {
    const app = await appWith(t, [])
    const { status, body } = await get(app, '/api/stats/usage?since=3d')
    assert.equal(status, 200)
    assert.equal(body.days.length, 4, 'three days back from noon touch four calendar days')
    assert.ok(body.days.every((d) => d.api_requests === 0 && d.cost_usd === 0))
    assert.deepEqual(body.models, [])
    assert.equal(body.latency.api_requests, 0)
    assert.equal(body.latency.max_ms, null)
    assert.equal(body.total.cost_usd, 0)

    const none = new App({ logger: memoryLogger() })
    registerUsage(none, { store: undefined })
    const reply = await call(none.handler, '/api/stats/usage')
    assert.equal(reply.status, 503)
    assert.equal((reply.json() as { error: string }).error, 'Service Unavailable')
  })

  it('through the real CLI: telemetry posted to /v1/logs, read back per day, model and latency', {
    timeout: 120_000,
  }, async (t) => {
    const dir = tempDir(t)
    const obs = await startCli(t, ['--port', '0', '--db', `${dir}/o.db`, '--quiet'])
    const target = obs.tcp
    const base = { session_id: 'u-1', cwd: '/work/u' }
    assert.equal(
      (await postEvent(target, 'SessionStart', { ...base, source: 'startup' })).status,
      200,
    )
    const now = Date.now()
    const logs = apiRequestLogBody([
      {
        ts: now - 3000,
        session: 'u-1',
        prompt: 'p1',
        cost: 0.012,
        input: 1200,
        output: 300,
        durationMs: 900,
      },
      {
        ts: now - 2000,
        session: 'u-1',
        prompt: 'p1',
        model: 'claude-haiku-4-5',
        cost: 0.001,
        input: 50,
        output: 20,
        durationMs: 150,
      },
      {
        ts: now - 1000,
        session: 'u-1',
        prompt: 'p1',
        cost: 0.02,
        input: 2000,
        output: 500,
        cacheRead: 10_000,
        durationMs: 2100,
      },
    ])
    const posted = await request(target, {
      method: 'POST',
      path: '/v1/logs',
      body: logs,
      headers: { 'Content-Type': 'application/json' },
    })
    assert.equal(posted.status, 200, posted.body)
    const reply = await request(target, { path: '/api/stats/usage?tz=0' })
    assert.equal(reply.status, 200, reply.body)
    const body = JSON.parse(reply.body) as UsageStats
    assert.equal(body.days.length, 30)
    assert.equal(body.total.api_requests, 3)
    assert.ok(Math.abs(body.total.cost_usd - 0.033) < 1e-9)
    assert.equal(body.total.cache_read_tokens, 10_000)
    assert.deepEqual(
      body.models.map((m) => [m.model, m.api_requests, m.p50_ms, m.p95_ms]),
      [
        ['claude-sonnet-4-5', 2, 900, 2100],
        ['claude-haiku-4-5', 1, 150, 150],
      ],
    )
    assert.deepEqual(
      [body.latency.p50_ms, body.latency.p95_ms, body.latency.p99_ms, body.latency.max_ms],
      [900, 2100, 2100, 2100],
    )
    const today = body.days.at(-1)!
    assert.equal(
      today.api_requests + (body.days.at(-2)?.api_requests ?? 0),
      3,
      'today (or just before midnight)',
    )
    assert.equal((await request(target, { path: '/api/stats/usage?tz=1000' })).status, 400)
  })
})
