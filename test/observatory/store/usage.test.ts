/**
 * The store's usage aggregates over Claude Code's API requests (`usageByDay`, `usageByModel`, `apiLatency`,
 * `usageTotal`) and the pure helpers of store/usage.ts: calendar days at a UTC offset (midnight crossed both ways,
 * a half-hour offset), per-model sums and latency, nearest-rank percentiles on known data (against a plain sort),
 * requests without a duration, the window's bounds (since inclusive, until exclusive), an empty window.
 */
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { ApiRequestRow } from '../../../src/observatory/store/store.ts'
import { dayOf, dayStart, fillDays, nearestRank } from '../../../src/observatory/store/usage.ts'
import { openStore } from './helpers.ts'

const HOUR = 3_600_000
const MIDNIGHT = Date.parse('2025-03-02T00:00:00Z')

function row(ts: number, extra: Partial<ApiRequestRow> = {}): ApiRequestRow {
  return {
    ts,
    session_id: 's1',
    prompt_id: 'p1',
    model: 'claude-sonnet-4-5',
    cost_usd: 0.01,
    input_tokens: 100,
    output_tokens: 10,
    cache_read_tokens: 1000,
    cache_creation_tokens: 50,
    duration_ms: 500,
    ...extra,
  }
}

async function storeWith(t: TestContext, rows: ApiRequestRow[]) {
  const { store } = openStore(t)
  await store.putApiRequests(rows)
  await store.flush()
  return store
}

/** The nearest-rank percentile by a plain sort, to check the SQL against. */
function plain(values: number[], percent: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(1, Math.ceil((percent / 100) * sorted.length)) - 1]!
}

describe('Store: usage by day', () => {
  const around = [
    row(MIDNIGHT - 1.5 * HOUR, { cost_usd: 1 }), // 22:30 UTC on the 1st
    row(MIDNIGHT - 0.5 * HOUR, { cost_usd: 2 }), // 23:30 UTC on the 1st
    row(MIDNIGHT + 0.5 * HOUR, { cost_usd: 4 }), // 00:30 UTC on the 2nd
  ]
  const window = { since: MIDNIGHT - 2 * 86_400_000, until: MIDNIGHT + 2 * 86_400_000 }

  it('buckets by the UTC day at offset 0', async (t) => {
    const store = await storeWith(t, around)
    const days = store.usageByDay({ ...window, tzOffsetMinutes: 0 })
    assert.deepEqual(
      days.map((d) => [d.day, d.cost_usd, d.api_requests]),
      [
        ['2025-03-01', 3, 2],
        ['2025-03-02', 4, 1],
      ],
    )
    assert.deepEqual(days[0], {
      day: '2025-03-01',
      cost_usd: 3,
      input_tokens: 200,
      output_tokens: 20,
      cache_read_tokens: 2000,
      cache_creation_tokens: 100,
      api_requests: 2,
    })
  })

  it('moves midnight with the offset, east and west, by the half hour too', async (t) => {
    const store = await storeWith(t, around)
    const by = (tz: number) =>
      store.usageByDay({ ...window, tzOffsetMinutes: tz }).map((d) => [d.day, d.cost_usd])
    // UTC+01:00: 23:30, 00:30, 01:30 local: the last two on the 2nd.
    assert.deepEqual(by(60), [
      ['2025-03-01', 1],
      ['2025-03-02', 6],
    ])
    // UTC+02:00: all on the 2nd.
    assert.deepEqual(by(120), [['2025-03-02', 7]])
    // UTC−01:00: 21:30, 22:30, 23:30 on the 1st.
    assert.deepEqual(by(-60), [['2025-03-01', 7]])
    // UTC+05:30: 04:00, 05:00, 06:00 on the 2nd; UTC−00:30: 22:00, 23:00, 00:00 — the last on the 2nd.
    assert.deepEqual(by(330), [['2025-03-02', 7]])
    assert.deepEqual(by(-30), [
      ['2025-03-01', 3],
      ['2025-03-02', 4],
    ])
  })

  it('keeps to the window: since inclusive, until exclusive', async (t) => {
    const store = await storeWith(t, around)
    const at = (since: number, until: number) =>
      store.usageByDay({ since, until, tzOffsetMinutes: 0 }).reduce((n, d) => n + d.cost_usd, 0)
    assert.equal(at(MIDNIGHT - 0.5 * HOUR, MIDNIGHT + 0.5 * HOUR), 2, 'the first in, the last out')
    assert.equal(at(MIDNIGHT - 0.5 * HOUR + 1, MIDNIGHT + 0.5 * HOUR + 1), 4)
    assert.equal(at(MIDNIGHT, MIDNIGHT + 0.5 * HOUR), 0)
    assert.equal(store.usageTotal({ since: MIDNIGHT - 1.5 * HOUR, until: MIDNIGHT }).cost_usd, 3)
    assert.equal(
      store.usageByModel({ since: MIDNIGHT, until: MIDNIGHT + HOUR })[0]?.api_requests,
      1,
    )
    assert.equal(
      store.apiLatency({ since: MIDNIGHT + HOUR, until: MIDNIGHT + 2 * HOUR }).api_requests,
      0,
    )
  })

  it('fills every calendar day of a window with zeros, across a month end', () => {
    const since = Date.parse('2025-02-26T23:00:00Z')
    const until = Date.parse('2025-03-02T00:30:00Z')
    const got = fillDays(
      [
        {
          day: '2025-02-28',
          cost_usd: 1,
          input_tokens: 1,
          output_tokens: 1,
          cache_read_tokens: 0,
          cache_creation_tokens: 0,
          api_requests: 1,
        },
      ],
      { since, until, tzOffsetMinutes: 60 },
    )
    // At UTC+01:00 the window runs from the 27th 00:00 to the 2nd 01:30.
    assert.deepEqual(
      got.map((d) => [d.day, d.api_requests]),
      [
        ['2025-02-27', 0],
        ['2025-02-28', 1],
        ['2025-03-01', 0],
        ['2025-03-02', 0],
      ],
    )
    // An exclusive end at midnight does not add the next day.
    assert.deepEqual(
      fillDays([], { since: MIDNIGHT - 86_400_000, until: MIDNIGHT, tzOffsetMinutes: 0 }).map(
        (d) => d.day,
      ),
      ['2025-03-01'],
    )
    assert.equal(dayOf(MIDNIGHT - 1, 0), '2025-03-01')
    assert.equal(dayOf(MIDNIGHT - 1, 1), '2025-03-02')
    assert.equal(dayStart('2025-03-02', 120), MIDNIGHT - 2 * HOUR)
    assert.equal(dayStart('2025-03-02', -300), MIDNIGHT + 5 * HOUR)
  })
})

describe('Store: usage by model and API latency', () => {
  it('sums per model, most expensive first, requests naming no model apart', async (t) => {
    const store = await storeWith(t, [
      row(MIDNIGHT, { model: 'claude-haiku-4-5', cost_usd: 0.001, duration_ms: 100 }),
      row(MIDNIGHT + 1, { model: 'claude-opus-4-1', cost_usd: 0.5, duration_ms: 4000 }),
      row(MIDNIGHT + 2, { model: 'claude-haiku-4-5', cost_usd: 0.002, duration_ms: 300 }),
      row(MIDNIGHT + 3, { model: null, cost_usd: 0.01, duration_ms: null }),
      row(MIDNIGHT + 4, {
        model: 'claude-opus-4-1',
        cost_usd: 0.25,
        duration_ms: 2000,
        output_tokens: 7,
      }),
    ])
    const models = store.usageByModel({ since: MIDNIGHT, until: MIDNIGHT + HOUR })
    assert.deepEqual(
      models.map((m) => [m.model, m.api_requests, m.p50_ms, m.p95_ms]),
      [
        ['claude-opus-4-1', 2, 2000, 4000],
        [null, 1, null, null],
        ['claude-haiku-4-5', 2, 100, 300],
      ],
    )
    const opus = models[0]!
    assert.equal(opus.cost_usd, 0.75)
    assert.equal(opus.input_tokens, 200)
    assert.equal(opus.output_tokens, 17)
    assert.equal(opus.cache_read_tokens, 2000)
    assert.equal(opus.cache_creation_tokens, 100)

    const latency = store.apiLatency({ since: MIDNIGHT, until: MIDNIGHT + HOUR })
    assert.deepEqual(latency, {
      api_requests: 5,
      timed_requests: 4,
      p50_ms: 300,
      p95_ms: 4000,
      p99_ms: 4000,
      max_ms: 4000,
    })
    const total = store.usageTotal({ since: MIDNIGHT, until: MIDNIGHT + HOUR })
    assert.equal(total.api_requests, 5)
    assert.ok(Math.abs(total.cost_usd - 0.763) < 1e-12)
  })

  it('computes nearest-rank percentiles: 1..100 ms, and shuffled sizes against a plain sort', async (t) => {
    // 1..100 in a shuffled order (a fixed permutation), one model.
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1)
    const store = await storeWith(
      t,
      values.map((ms, i) => row(MIDNIGHT + i, { duration_ms: ms })),
    )
    const window = { since: MIDNIGHT, until: MIDNIGHT + HOUR }
    assert.deepEqual(store.apiLatency(window), {
      api_requests: 100,
      timed_requests: 100,
      p50_ms: 50,
      p95_ms: 95,
      p99_ms: 99,
      max_ms: 100,
    })
    const [model] = store.usageByModel(window)
    assert.equal(model?.p50_ms, 50)
    assert.equal(model?.p95_ms, 95)

    // Sizes where ⌈p·n⌉ rounds up, fractional durations, duplicates.
    for (const n of [1, 2, 3, 7, 19, 21, 101]) {
      const ms = Array.from({ length: n }, (_, i) => ((i * 7919) % 53) + 0.25)
      const sub = await storeWith(
        t,
        ms.map((d, i) => row(MIDNIGHT + i, { duration_ms: d, model: `m${n}` })),
      )
      const got = sub.apiLatency(window)
      assert.deepEqual(
        [got.p50_ms, got.p95_ms, got.p99_ms, got.max_ms],
        [plain(ms, 50), plain(ms, 95), plain(ms, 99), Math.max(...ms)],
        `n = ${n}`,
      )
      const [m] = sub.usageByModel(window)
      assert.deepEqual([m?.p50_ms, m?.p95_ms], [plain(ms, 50), plain(ms, 95)], `model, n = ${n}`)
    }
    assert.deepEqual(
      [1, 2, 3, 20, 21].map((n) => nearestRank(n, 95)),
      [1, 2, 3, 19, 20],
    )
  })

  it('answers an empty window with zeros and nulls', async (t) => {
    const store = await storeWith(t, [row(MIDNIGHT)])
    const window = { since: MIDNIGHT + 1, until: MIDNIGHT + HOUR }
    assert.deepEqual(store.usageByDay({ ...window, tzOffsetMinutes: 0 }), [])
    assert.deepEqual(store.usageByModel(window), [])
    assert.deepEqual(store.apiLatency(window), {
      api_requests: 0,
      timed_requests: 0,
      p50_ms: null,
      p95_ms: null,
      p99_ms: null,
      max_ms: null,
    })
    assert.deepEqual(store.usageTotal(window), {
      cost_usd: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_creation_tokens: 0,
      api_requests: 0,
    })
  })
})
