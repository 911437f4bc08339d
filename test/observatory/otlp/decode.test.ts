/**
 * The OTLP JSON decoding (vectors shaped like the specification's examples: every `anyValue` kind, 64-bit
 * integers as strings and numbers), malformed messages, the `api_request` rows, and the store's usage sums.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  apiRequestRow,
  countItems,
  decodeAnyValue,
  decodeLogs,
  isApiRequest,
  OtlpError,
} from '../../../src/observatory/otlp/index.ts'
import { Store } from '../../../src/observatory/store/store.ts'
import { apiRequestLogs, SPEC_LOGS } from './vectors.ts'

describe('OTLP JSON: anyValue', () => {
  it('decodes every kind', () => {
    assert.equal(decodeAnyValue({ stringValue: 'x' }), 'x')
    assert.equal(decodeAnyValue({ intValue: '9007199254740991' }), 9007199254740991)
    assert.equal(decodeAnyValue({ intValue: 42 }), 42)
    assert.equal(decodeAnyValue({ intValue: '-7' }), -7)
    assert.equal(decodeAnyValue({ doubleValue: 1.5 }), 1.5)
    assert.equal(decodeAnyValue({ doubleValue: '2.25' }), 2.25)
    assert.equal(decodeAnyValue({ boolValue: false }), false)
    assert.deepEqual(
      decodeAnyValue({ arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } }),
      ['a', 1],
    )
    assert.deepEqual(
      {
        ...(decodeAnyValue({
          kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] },
        }) as object),
      },
      { k: true },
    )
    assert.deepEqual(decodeAnyValue({ bytesValue: 'aGk=' }), new Uint8Array([0x68, 0x69]))
    assert.equal(decodeAnyValue({}), null)
    assert.equal(decodeAnyValue(undefined), null)
  })

  it('refuses wrong types', () => {
    for (const bad of [
      { stringValue: 1 },
      { intValue: '1.5' },
      { intValue: 1.5 },
      { intValue: 'x' },
      { intValue: true },
      { doubleValue: 'abc' },
      { boolValue: 'true' },
      { arrayValue: { values: {} } },
      { kvlistValue: { values: [{ key: 1 }] } },
      { bytesValue: '***' },
      'plain',
      [],
    ]) {
      assert.throws(() => decodeAnyValue(bad), OtlpError, JSON.stringify(bad))
    }
  })
})

describe('OTLP JSON: logs', () => {
  it('decodes the specification-shaped example', () => {
    const records = decodeLogs(SPEC_LOGS)
    assert.equal(records.length, 2)
    const [first, second] = records
    assert.equal(first?.timeMs, 1544712660300)
    assert.equal(first?.body, 'Example log record')
    assert.equal(first?.attributes['service.name'], 'my.service')
    assert.equal(first?.attributes['string.attribute'], 'some string')
    assert.equal(first?.attributes['boolean.attribute'], true)
    assert.equal(first?.attributes['int.attribute'], 10)
    assert.equal(first?.attributes['double.attribute'], 637.704)
    assert.deepEqual(first?.attributes['array.attribute'], ['many', 'values'])
    assert.deepEqual(
      { ...(first?.attributes['map.attribute'] as object) },
      { 'some.map.key': 'some value' },
    )
    assert.equal(second?.timeMs, 1544712660301)
    assert.equal(second?.attributes['int.attribute'], 11)
  })

  it('takes an empty request, empty lists and null members as nothing', () => {
    assert.deepEqual(decodeLogs({}), [])
    assert.deepEqual(decodeLogs({ resourceLogs: [] }), [])
    assert.deepEqual(decodeLogs({ resourceLogs: [{ scopeLogs: [{ logRecords: [] }] }] }), [])
    assert.deepEqual(decodeLogs({ resourceLogs: null }), [])
    const [record] = decodeLogs({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}] }] }] })
    assert.deepEqual(record, { timeMs: null, body: null, attributes: {} })
  })

  it('refuses what is not an ExportLogsServiceRequest', () => {
    for (const bad of [
      null,
      [],
      'x',
      { resourceLogs: {} },
      { resourceLogs: [1] },
      { resourceLogs: [{ scopeLogs: 'x' }] },
      { resourceLogs: [{ scopeLogs: [{ logRecords: [7] }] }] },
      { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 'soon' }] }] }] },
      {
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [{ key: 7, value: {} }] }] }] }],
      },
      { resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: {} }] }] }] },
      { resourceLogs: [{ resource: 3, scopeLogs: [] }] },
    ]) {
      assert.throws(() => decodeLogs(bad), OtlpError, JSON.stringify(bad))
    }
    // proto3 leaves an empty key out, so a key-less attribute (as protobuf decodes it) has the key "".
    const [keyless] = decodeLogs({
      resourceLogs: [
        { scopeLogs: [{ logRecords: [{ attributes: [{ value: { intValue: 1 } }] }] }] },
      ],
    })
    assert.deepEqual({ ...keyless?.attributes }, { '': 1 })
  })

  it('counts metrics data points and spans, and refuses malformed ones', () => {
    const metrics = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'claude_code.cost.usage',
                  sum: { dataPoints: [{ asDouble: 0.1 }, { asDouble: 0.2 }] },
                },
                { name: 'claude_code.token.usage', sum: { dataPoints: [{ asInt: '10' }] } },
              ],
            },
          ],
        },
      ],
    }
    assert.deepEqual(countItems(metrics, 'metrics'), { items: 2, points: 3 })
    assert.deepEqual(countItems({}, 'traces'), { items: 0, points: 0 })
    assert.equal(
      countItems(
        { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a' }, { name: 'b' }] }] }] },
        'traces',
      ).items,
      2,
    )
    assert.throws(() => countItems({ resourceMetrics: 1 }, 'metrics'), OtlpError)
    assert.throws(
      () => countItems({ resourceSpans: [{ scopeSpans: [{ spans: [null] }] }] }, 'traces'),
      OtlpError,
    )
  })
})

describe('Claude Code api_request events', () => {
  it('become rows, with string and number values alike', () => {
    const records = decodeLogs(
      apiRequestLogs([
        {
          session: 's1',
          prompt: 'p1',
          cost: '0.0105',
          input: '100',
          output: 20,
          cacheRead: 5,
          cacheCreation: '7',
        },
        {
          session: 's1',
          prompt: 'p1',
          cost: 0.002,
          input: 1,
          output: 2,
          cacheRead: 0,
          cacheCreation: 0,
          kind: 'tool_result',
        },
      ]),
    )
    assert.equal(records.length, 2)
    assert.ok(isApiRequest(records[0]!))
    assert.ok(!isApiRequest(records[1]!))
    const row = apiRequestRow(records[0]!, 5)
    assert.deepEqual(row, {
      ts: 1_700_000_000_000,
      session_id: 's1',
      prompt_id: 'p1',
      model: 'claude-sonnet-4-5',
      cost_usd: 0.0105,
      input_tokens: 100,
      output_tokens: 20,
      cache_read_tokens: 5,
      cache_creation_tokens: 7,
      duration_ms: 40,
    })
  })

  it('without session.id is a reason, not a row', () => {
    const [record] = decodeLogs(apiRequestLogs([{ prompt: 'p', cost: 1, input: 1, output: 1 }]))
    assert.equal(typeof apiRequestRow(record!, 0), 'string')
  })
})

describe('Store: api_requests', () => {
  it('sums usage per turn and per session, written by the group commit', async () => {
    const store = Store.open({ path: ':memory:', retainMs: 0, log: () => {} })
    try {
      const row = (
        session: string,
        prompt: string | null,
        cost: number,
        ts: number,
        model = 'm1',
      ) => ({
        ts,
        session_id: session,
        prompt_id: prompt,
        model,
        cost_usd: cost,
        input_tokens: 10,
        output_tokens: 2,
        cache_read_tokens: 3,
        cache_creation_tokens: 1,
        duration_ms: 100,
      })
      await store.putApiRequests([
        row('a', 'p1', 0.5, 1000),
        row('a', 'p1', 0.25, 1001, 'm2'),
        row('a', 'p2', 1, 2000),
        row('b', null, 2, 3000),
      ])
      const usage = store.usage('a')
      assert.deepEqual(
        usage.turns.map((t) => [t.prompt_id, t.cost_usd, t.api_requests, t.input_tokens, t.models]),
        [
          ['p1', 0.75, 2, 20, ['m1', 'm2']],
          ['p2', 1, 1, 10, ['m1']],
        ],
      )
      assert.equal(usage.total?.cost_usd, 1.75)
      assert.equal(usage.total?.api_requests, 3)
      assert.equal(usage.total?.api_duration_ms, 300)
      assert.equal(usage.total?.cache_read_tokens, 9)
      assert.deepEqual(store.usage('none'), { total: null, turns: [] })
      const all = store.usageBySession()
      assert.equal(all.size, 2)
      assert.equal(all.get('b')?.cost_usd, 2)
      assert.equal(all.get('a')?.first_ts, 1000)
      assert.equal(all.get('a')?.last_ts, 2000)
      // Retention takes them like the other rows.
      await store.prune(2500)
      assert.deepEqual([...store.usageBySession().keys()], ['b'])
    } finally {
      await store.close()
    }
  })
})
