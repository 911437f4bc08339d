/**
 * Claude Code's telemetry beyond `api_request`, stored (schema v6): log events (`tool_result` with string
 * attributes, `user_prompt`, `api_error`, records without a session), metric data points (a delta sum with one
 * point per token type, a cumulative sum, a histogram), spans (hex ids, parents, a session taken from the trace);
 * the join of `tool_result` with the hook tool calls by `tool_use_id`; `GET /api/sessions/{id}/telemetry`; a
 * session known only from tool_result events; `--no-db` (partial success); retention; the v5 → v6 migration.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import Database from 'better-sqlite3'
import { App } from '../../../src/framework/index.ts'
import { registerTelemetry, toolTelemetry } from '../../../src/observatory/api/telemetry.ts'
import {
  decodeLogs,
  decodeMetrics,
  decodeSpans,
  metricPointRow,
  OtlpError,
  registerOtlp,
  spanRows,
  telemetryEventRow,
} from '../../../src/observatory/otlp/index.ts'
import type { SessionDetail } from '../../../src/observatory/sessions/types.ts'
import { MIGRATIONS, SCHEMA_VERSION, Store } from '../../../src/observatory/store/store.ts'
import { call, memoryLogger } from '../../framework/helpers.ts'
import { postEvent, request, startCli, type Target, tempDir } from '../helpers.ts'
import {
  apiRequestLogs,
  claudeEvent,
  claudeMetrics,
  claudeSpans,
  logsOf,
  TRACE_ID,
} from './vectors.ts'

const TOOL_RESULT = {
  'session.id': 'tj-1',
  'prompt.id': 'p-1',
  tool_name: 'Bash',
  tool_use_id: 'toolu_01',
  success: 'true',
  duration_ms: '123',
  tool_result_size_bytes: '2048',
  decision_type: 'accept',
  decision_source: 'config',
}

describe('OTLP telemetry: decoding', () => {
  it('log events become telemetry_events rows (name without claude_code., tool_use_id, attributes)', () => {
    const records = decodeLogs(
      logsOf([
        claudeEvent('tool_result', TOOL_RESULT),
        claudeEvent('user_prompt', { 'session.id': 's', prompt: 'hi', prompt_length: '2' }),
        { body: { stringValue: 'plain log line' }, attributes: [] },
      ]),
    )
    const rows = records.map((r) => telemetryEventRow(r, 99))
    assert.deepEqual(
      rows.map((r) => [r.ts, r.name, r.session_id, r.prompt_id, r.tool_use_id]),
      [
        [1_700_000_001_000, 'tool_result', 'tj-1', 'p-1', 'toolu_01'],
        [1_700_000_001_000, 'user_prompt', 's', null, null],
        [99, 'log', null, null, null],
      ],
    )
    const attributes = JSON.parse(rows[0]!.attributes) as Record<string, unknown>
    assert.equal(attributes['service.name'], 'claude-code', 'resource attributes merged')
    assert.equal(attributes.success, 'true')
    assert.deepEqual(toolTelemetry(attributes), {
      duration_ms: 123,
      success: true,
      error: null,
      decision: 'accept',
      decision_source: 'config',
      result_size_bytes: 2048,
    })
    assert.deepEqual(toolTelemetry({ success: 'false', error: 'Exit code 1', duration_ms: 7 }), {
      duration_ms: 7,
      success: false,
      error: 'Exit code 1',
      decision: null,
      decision_source: null,
      result_size_bytes: null,
    })
  })

  it('metrics become data points: sums (asInt strings and numbers, asDouble), a histogram', () => {
    const points = decodeMetrics(claudeMetrics('m-1'))
    assert.equal(points.length, 6)
    const rows = points.map((p) => metricPointRow(p, 5))
    assert.deepEqual(
      rows.map((r) => [r.name, r.kind, r.temporality, r.value, r.count, r.session_id]),
      [
        ['claude_code.token.usage', 'sum', 'delta', 100, null, 'm-1'],
        ['claude_code.token.usage', 'sum', 'delta', 20, null, 'm-1'],
        ['claude_code.token.usage', 'sum', 'delta', 5, null, 'm-1'],
        ['claude_code.token.usage', 'sum', 'delta', 7, null, 'm-1'],
        ['claude_code.cost.usage', 'sum', 'cumulative', 0.0123, null, 'm-1'],
        ['tool.duration', 'histogram', 'cumulative', 42.5, 3, 'm-1-point'],
      ],
    )
    assert.equal(rows[0]!.ts, 1_700_000_060_000)
    assert.equal(rows[0]!.start_ts, 1_700_000_000_000)
    assert.equal(rows[0]!.unit, 'tokens')
    assert.deepEqual(
      rows.slice(0, 4).map((r) => (JSON.parse(r.attributes) as { type: string }).type),
      ['input', 'output', 'cacheRead', 'cacheCreation'],
    )
    assert.deepEqual(decodeMetrics({}), [])
    for (const bad of [
      { resourceMetrics: 1 },
      {
        resourceMetrics: [
          { scopeMetrics: [{ metrics: [{ sum: { dataPoints: [{ asInt: 'x' }] } }] }] },
        ],
      },
      {
        resourceMetrics: [
          { scopeMetrics: [{ metrics: [{ gauge: { dataPoints: [{ asDouble: 'y' }] } }] }] },
        ],
      },
      {
        resourceMetrics: [
          { scopeMetrics: [{ metrics: [{ sum: { aggregationTemporality: 'LATER' } }] }] },
        ],
      },
    ]) {
      assert.throws(() => decodeMetrics(bad), OtlpError, JSON.stringify(bad))
    }
  })

  it('spans: hex ids (lowercased), parents, kinds and status by number or name; the trace gives the session', () => {
    const spans = decodeSpans(claudeSpans('sp-1'))
    const { rows, rejected } = spanRows(spans, 0)
    assert.equal(rejected, 0)
    assert.deepEqual(
      rows.map((r) => [
        r.trace_id,
        r.span_id,
        r.parent_span_id,
        r.name,
        r.kind,
        r.status_code,
        r.session_id,
      ]),
      [
        [TRACE_ID, 'eee19b7ec3c1b174', null, 'claude_code.interaction', 'internal', 'ok', 'sp-1'],
        [
          TRACE_ID,
          'eee19b7ec3c1b175',
          'eee19b7ec3c1b174',
          'claude_code.llm_request',
          'client',
          null,
          'sp-1',
        ],
        [
          TRACE_ID,
          'eee19b7ec3c1b176',
          'eee19b7ec3c1b174',
          'claude_code.tool',
          null,
          'error',
          'sp-1',
        ],
      ],
    )
    assert.equal(rows[0]!.start_ms, 1_700_000_000_000)
    assert.equal(rows[0]!.end_ms, 1_700_000_005_000)
    assert.equal(rows[2]!.status_message, 'exit 1')
    // base64 ids (the generic proto3 mapping) are taken too; missing or malformed ones are refused, not a 400.
    const odd = spanRows(
      decodeSpans({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: Buffer.from(TRACE_ID, 'hex').toString('base64'),
                    spanId: 'AAAAAAAAAAE=',
                    name: 'b64',
                  },
                  { name: 'no ids' },
                  { traceId: 'xyz', spanId: '0000000000000001' },
                ],
              },
            ],
          },
        ],
      }),
      7,
    )
    assert.equal(odd.rejected, 2)
    assert.equal(odd.rows[0]?.trace_id, TRACE_ID)
    assert.equal(odd.rows[0]?.span_id, '0000000000000001')
    assert.equal(odd.rows[0]?.start_ms, 7)
    assert.throws(
      () => decodeSpans({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 5 }] }] }] }),
      OtlpError,
    )
    assert.throws(
      () => decodeSpans({ resourceSpans: [{ scopeSpans: [{ spans: [{ kind: 'SIDEWAYS' }] }] }] }),
      OtlpError,
    )
  })
})

describe('OTLP telemetry: the store', () => {
  it('writes events, points and spans by group commit; reads them back; retention takes them', async () => {
    const store = Store.open({ path: ':memory:', retainMs: 0, log: () => {} })
    try {
      const events = decodeLogs(
        logsOf([
          claudeEvent('tool_result', TOOL_RESULT, '1000000000'),
          claudeEvent('tool_result', { ...TOOL_RESULT, tool_use_id: 'toolu_02' }, '3000000000'),
          claudeEvent('api_error', { 'session.id': 'tj-1', error: 'overloaded' }, '3000000000'),
        ]),
      ).map((r) => telemetryEventRow(r, 0))
      const points = decodeMetrics(claudeMetrics('tj-1')).map((p) => metricPointRow(p, 0))
      const spans = spanRows(decodeSpans(claudeSpans('tj-1')), 0).rows
      // Queued in one turn: nothing is written before the commit.
      const committed = store.putTelemetry({ events, metricPoints: points, spans })
      assert.deepEqual(store.telemetryEvents('tj-1').events, [])
      await committed
      const page = store.telemetryEvents('tj-1', { limit: 2 })
      assert.deepEqual(
        page.events.map((e) => [e.name, e.tool_use_id, e.ts]),
        [
          ['tool_result', 'toolu_01', 1000],
          ['tool_result', 'toolu_02', 3000],
        ],
      )
      assert.equal(page.events[0]?.attributes.success, 'true')
      assert.notEqual(page.next, null)
      const rest = store.telemetryEvents('tj-1', { after: page.next!, limit: 2 })
      assert.deepEqual(
        rest.events.map((e) => e.name),
        ['api_error'],
      )
      assert.equal(rest.next, null)
      assert.deepEqual([...store.toolResults('tj-1').keys()], ['toolu_01', 'toolu_02'])
      assert.equal(store.spans('tj-1').length, 3)
      assert.equal(store.metricPoints({ session: 'tj-1' }).length, 5)
      assert.equal(store.metricPoints({ name: 'claude_code.token.usage' }).length, 4)
      assert.deepEqual(store.telemetryCounts('tj-1'), {
        telemetry_events: 3,
        spans: 3,
        metric_points: 5,
        first_ts: 1000,
        last_ts: 3000,
      })
      // A span sent again replaces itself (upsert by trace and span id).
      await store.putTelemetry({ spans: [{ ...spans[0]!, end_ms: 1_700_000_009_000 }] })
      assert.equal(store.spans('tj-1').length, 3)
      assert.equal(store.spans('tj-1')[0]?.end_ms, 1_700_000_009_000)

      await store.prune(2000)
      assert.deepEqual(
        store.telemetryEvents('tj-1').events.map((e) => e.tool_use_id),
        ['toolu_02', null],
      )
      await store.prune(1_700_000_001_000)
      assert.deepEqual(
        store.spans('tj-1').map((span) => span.name),
        ['claude_code.tool'],
        'spans go by their start',
      )
      await store.prune(Number.MAX_SAFE_INTEGER)
      assert.deepEqual(store.telemetryCounts('tj-1'), {
        telemetry_events: 0,
        spans: 0,
        metric_points: 0,
        first_ts: null,
        last_ts: null,
      })
    } finally {
      await store.close()
    }
  })

  it('migrates a version-5 file to version 6 without losing rows', async (t: TestContext) => {
    const path = join(tempDir(t), 'v5.db')
    const db = new Database(path)
    for (let v = 0; v < 5; v++) {
      MIGRATIONS[v]!(db)
      db.pragma(`user_version = ${v + 1}`)
    }
    db.prepare(
      `INSERT INTO events(id, ts, event, session_id, tool_name, tool_use_id, agent_id, line)
       VALUES (1, 1000, 'PreToolUse', 's5', 'Bash', 'toolu_5', NULL, '{"_event":"PreToolUse"}')`,
    ).run()
    db.prepare(
      `INSERT INTO api_requests(ts, session_id, prompt_id, model, cost_usd, input_tokens, output_tokens,
         cache_read_tokens, cache_creation_tokens, duration_ms) VALUES (1000, 's5', 'p', 'm', 0.5, 1, 2, 3, 4, 5)`,
    ).run()
    db.close()

    const logged: string[] = []
    const store = Store.open({ path, retainMs: 0, log: (m) => logged.push(m) })
    try {
      assert.equal(SCHEMA_VERSION, 6)
      assert.equal(store.info().schema_version, 6)
      assert.match(logged.join('\n'), /schema upgraded from version 5 to 6/)
      assert.equal(store.info().events, 1)
      assert.equal(store.event(1)?.tool_use_id, 'toolu_5')
      assert.equal(store.usage('s5').total?.cost_usd, 0.5)
      await store.putTelemetry({
        events: [
          {
            ts: 2000,
            session_id: 's5',
            prompt_id: null,
            name: 'tool_result',
            tool_use_id: 'toolu_5',
            attributes: '{"success":"true"}',
          },
        ],
      })
      assert.equal(store.toolResults('s5').get('toolu_5')?.success, 'true')
    } finally {
      await store.close()
    }
  })
})

function post(target: Target, path: string, body: unknown) {
  return request(target, {
    method: 'POST',
    path,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  })
}

async function json<T>(target: Target, path: string): Promise<T> {
  const reply = await request(target, { path })
  assert.equal(reply.status, 200, `${path}: ${reply.body}`)
  return JSON.parse(reply.body) as T
}

interface TelemetryPage {
  session_id: string
  events: {
    id: number
    name: string
    tool_use_id: string | null
    attributes: Record<string, unknown>
  }[]
  next: number | null
  spans: { span_id: string; parent_span_id: string | null; name: string }[]
  metrics: { name: string; value: number | null; attributes: Record<string, unknown> }[]
  counts: { telemetry_events: number; spans: number; metric_points: number }
}

describe('OTLP telemetry through the server', { concurrency: true, timeout: 60_000 }, () => {
  it('joins tool_result with the hook tool calls by tool_use_id; serves the session telemetry', async (t) => {
    const dir = tempDir(t)
    const obs = await startCli(t, ['--port', '0', '--db', `${dir}/o.db`, '--quiet'])
    const base = { session_id: 'tj-1', cwd: '/work/tj' }
    const hooks: [string, Record<string, unknown>][] = [
      ['SessionStart', { source: 'startup' }],
      ['UserPromptSubmit', { prompt: 'list', prompt_id: 'p-1' }],
      ['PreToolUse', { tool_name: 'Bash', tool_use_id: 'toolu_01', tool_input: { command: 'ls' } }],
      [
        'PostToolUse',
        { tool_name: 'Bash', tool_use_id: 'toolu_01', tool_input: { command: 'ls' } },
      ],
      [
        'PreToolUse',
        { tool_name: 'Read', tool_use_id: 'toolu_02', tool_input: { file_path: '/x' } },
      ],
      ['PostToolUseFailure', { tool_name: 'Read', tool_use_id: 'toolu_02', error: 'nope' }],
      ['PreToolUse', { tool_name: 'Grep', tool_use_id: 'toolu_03', tool_input: { pattern: 'x' } }],
      ['PostToolUse', { tool_name: 'Grep', tool_use_id: 'toolu_03', tool_input: { pattern: 'x' } }],
      ['Stop', { prompt_id: 'p-1' }],
    ]
    for (const [event, payload] of hooks) {
      const reply = await postEvent(obs.tcp, event, { ...base, hook_event_name: event, ...payload })
      assert.equal(reply.status, 200)
    }
    const before = await json<SessionDetail>(obs.tcp, '/api/sessions/tj-1')
    assert.ok(
      before.tool_calls.every((c) => !('telemetry' in c)),
      'no tool_result yet: the calls keep their shape',
    )

    const logs = logsOf([
      claudeEvent('user_prompt', { 'session.id': 'tj-1', 'prompt.id': 'p-1', prompt_length: '4' }),
      claudeEvent('tool_result', TOOL_RESULT),
      claudeEvent('tool_result', {
        ...TOOL_RESULT,
        tool_name: 'Read',
        tool_use_id: 'toolu_02',
        success: 'false',
        error: 'File does not exist',
        duration_ms: '4',
      }),
      claudeEvent('api_error', { 'session.id': 'tj-1', error: 'overloaded', status_code: '529' }),
      // No session: kept all the same.
      claudeEvent('tool_decision', { tool_name: 'Bash', decision: 'accept' }),
    ])
    const reply = await post(obs.tcp, '/v1/logs', logs)
    assert.equal(reply.status, 200, reply.body)
    assert.deepEqual(JSON.parse(reply.body), {})
    assert.equal((await post(obs.tcp, '/v1/metrics', claudeMetrics('tj-1'))).body, '{}')
    assert.equal((await post(obs.tcp, '/v1/traces', claudeSpans('tj-1'))).body, '{}')

    const detail = await json<SessionDetail>(obs.tcp, '/api/sessions/tj-1')
    const call = (id: string) => detail.tool_calls.find((c) => c.tool_use_id === id)
    assert.deepEqual(call('toolu_01')?.telemetry, {
      duration_ms: 123,
      success: true,
      error: null,
      decision: 'accept',
      decision_source: 'config',
      result_size_bytes: 2048,
    })
    assert.equal(call('toolu_02')?.telemetry?.success, false)
    assert.equal(call('toolu_02')?.telemetry?.error, 'File does not exist')
    assert.equal(call('toolu_02')?.outcome, 'failed')
    assert.equal(call('toolu_03')?.telemetry, null, 'no tool_result for it')

    const page = await json<TelemetryPage>(obs.tcp, '/api/sessions/tj-1/telemetry?limit=2')
    assert.deepEqual(
      page.events.map((e) => e.name),
      ['user_prompt', 'tool_result'],
    )
    assert.notEqual(page.next, null)
    const rest = await json<TelemetryPage>(
      obs.tcp,
      `/api/sessions/tj-1/telemetry?after=${page.next}`,
    )
    assert.deepEqual(
      rest.events.map((e) => e.name),
      ['tool_result', 'api_error'],
    )
    assert.equal(rest.next, null)
    assert.deepEqual(page.counts, { telemetry_events: 4, spans: 3, metric_points: 5 })
    assert.deepEqual(
      page.spans.map((s) => [s.name, s.parent_span_id]),
      [
        ['claude_code.interaction', null],
        ['claude_code.llm_request', 'eee19b7ec3c1b174'],
        ['claude_code.tool', 'eee19b7ec3c1b174'],
      ],
    )
    const tokens = page.metrics.filter((m) => m.name === 'claude_code.token.usage')
    assert.deepEqual(
      tokens.map((m) => [m.attributes.type, m.value]),
      [
        ['input', 100],
        ['output', 20],
        ['cacheRead', 5],
        ['cacheCreation', 7],
      ],
    )
    assert.equal(
      (await request(obs.tcp, { path: '/api/sessions/tj-1/telemetry?limit=0' })).status,
      400,
    )
    assert.equal((await request(obs.tcp, { path: '/api/sessions/nobody/telemetry' })).status, 404)

    // A session that sent only tool_result telemetry (no hook, no api_request) still has a detail.
    await post(
      obs.tcp,
      '/v1/logs',
      logsOf([claudeEvent('tool_result', { ...TOOL_RESULT, 'session.id': 'tele-tools' })]),
    )
    const only = await json<SessionDetail & { telemetry: Record<string, number> }>(
      obs.tcp,
      '/api/sessions/tele-tools',
    )
    assert.equal(only.state, 'idle')
    assert.equal(only.usage, null)
    assert.equal(only.telemetry.telemetry_events, 1)
    const onlyPage = await json<TelemetryPage>(obs.tcp, '/api/sessions/tele-tools/telemetry')
    assert.equal(onlyPage.events[0]?.tool_use_id, 'toolu_01')

    // An api_request session still works as before, and counts are in /stats.
    await post(
      obs.tcp,
      '/v1/logs',
      apiRequestLogs([{ session: 'tj-1', prompt: 'p-1', cost: 0.5, input: 1, output: 2 }]),
    )
    const withUsage = await json<SessionDetail>(obs.tcp, '/api/sessions/tj-1')
    assert.equal(withUsage.usage?.cost_usd, 0.5)
    assert.equal(withUsage.turns[0]?.usage?.cost_usd, 0.5)
    const stats = await json<{ otlp: Record<string, number> }>(obs.tcp, '/stats')
    assert.equal(stats.otlp.telemetryEvents, 6)
    assert.equal(stats.otlp.metricPoints, 6)
    assert.equal(stats.otlp.spans, 3)
    assert.equal(stats.otlp.apiRequests, 1)
    assert.equal(stats.otlp.rejected, 0)

    const openapi = await json<{ paths: Record<string, unknown> }>(obs.tcp, '/openapi.json')
    assert.ok(openapi.paths['/api/sessions/{id}/telemetry'])
    assert.match(JSON.stringify(openapi.paths['/api/sessions/{id}']), /tool_result/)
  })

  it('without a store: logs, metric points and spans are refused in a partial success', async () => {
    // `serve --no-db` keeps an in-memory store; an app built without one (embedding) keeps nothing.
    const app = new App({ logger: memoryLogger() })
    const counters = registerOtlp(app, { store: undefined, maxBodySize: 1_000_000 })
    registerTelemetry(app, { store: undefined })
    const send = async (path: string, body: unknown) => {
      const reply = await call(app.handler, path, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' },
      })
      assert.equal(reply.status, 200, reply.text)
      return reply.json() as unknown
    }
    const NO_STORE = 'this observatory has no store (--no-db): telemetry is not kept'
    assert.deepEqual(await send('/v1/logs', logsOf([claudeEvent('tool_result', TOOL_RESULT)])), {
      partialSuccess: { rejectedLogRecords: 1, errorMessage: NO_STORE },
    })
    assert.deepEqual(await send('/v1/metrics', claudeMetrics('n')), {
      partialSuccess: { rejectedDataPoints: 6, errorMessage: NO_STORE },
    })
    assert.deepEqual(await send('/v1/traces', claudeSpans('n')), {
      partialSuccess: { rejectedSpans: 3, errorMessage: NO_STORE },
    })
    assert.deepEqual(await send('/v1/traces', {}), {})
    assert.deepEqual(await send('/v1/metrics', {}), {})
    assert.equal((await call(app.handler, '/api/sessions/x/telemetry')).status, 503)
    assert.equal(counters.rejected, 10)
    assert.equal(counters.telemetryEvents + counters.metricPoints + counters.spans, 0)
  })
})
