/**
 * OTLP/HTTP protobuf decoding: vectors from the official OpenTelemetry JS encoder (`@opentelemetry/otlp-transformer`,
 * protobuf and JSON serializers of the same SDK objects: logs, metrics, spans) compared after normalizing the
 * JSON encoder's legitimate differences; hand-built byte vectors for the edge cases (empty body, unknown fields,
 * packed and unpacked repeated fields, oneofs, proto3 `optional`, 64-bit extremes, truncation, wrong wire
 * types, invalid UTF-8, deep nesting); a fuzz loop; and a Claude Code-shaped `api_request` record decoded by
 * the JSON path's `decodeLogs` from both encodings.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type Attributes,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  ValueType,
} from '@opentelemetry/api'
import { SeverityNumber } from '@opentelemetry/api-logs'
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs'
// sdk-metrics is a dependency of otlp-transformer (its serializer takes sdk-metrics' ResourceMetrics).
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import fc from 'fast-check'
import protobuf from 'protobufjs'
import { OtlpProtobufError } from '../../../src/observatory/otlp/errors.ts'
import { decodeLogs } from '../../../src/observatory/otlp/index.ts'
import { decodeProtobuf, type OtlpSignal } from '../../../src/observatory/otlp/protobuf.ts'

// ---------------------------------------------------------------------------------------------------------------
// Normalizing the official JSON encoder's output

/** Fields that are 64-bit integers: the JSON encoder writes some as numbers, the decoder always as strings. */
const INT64_KEYS = new Set([
  'intValue',
  'asInt',
  'timeUnixNano',
  'observedTimeUnixNano',
  'startTimeUnixNano',
  'endTimeUnixNano',
  'count',
  'zeroCount',
  'bucketCounts',
])
/** Oneof members and proto3 `optional` fields: set at their default value, they are still on the wire. */
const PRESENCE_KEYS = new Set([
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'bytesValue',
  'arrayValue',
  'kvlistValue',
  'asDouble',
  'asInt',
  'sum',
  'min',
  'max',
])

function isDefault(value: unknown): boolean {
  return (
    value === null ||
    value === 0 ||
    value === '0' ||
    value === '' ||
    value === false ||
    (Array.isArray(value) && value.length === 0)
  )
}

/**
 * The OTLP JSON of a message as a proto3 decoder gives it: default-valued fields dropped (the JSON encoder
 * writes e.g. `droppedAttributesCount: 0`), 64-bit integers as strings.
 */
function normalize(value: unknown, key = ''): unknown {
  if (INT64_KEYS.has(key)) {
    if (typeof value === 'number') return String(value)
    if (Array.isArray(value)) return value.map((v) => (typeof v === 'number' ? String(v) : v))
  }
  if (Array.isArray(value)) return value.map((item) => normalize(item, key))
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const n = normalize(v, k)
      if (n === undefined || (!PRESENCE_KEYS.has(k) && isDefault(n))) continue
      out[k] = n
    }
    return out
  }
  return value
}

function parseJson(bytes: Uint8Array | undefined): unknown {
  assert.ok(bytes !== undefined)
  return JSON.parse(new TextDecoder().decode(bytes))
}

/** Decodes the protobuf encoding and checks it against the JSON encoding of the same data. */
function compare(kind: OtlpSignal, protobufBytes: Uint8Array | undefined, json: unknown): unknown {
  assert.ok(protobufBytes !== undefined)
  const decoded = decodeProtobuf(kind, protobufBytes)
  // Already canonical: nothing for the normalization to change on the decoder's side.
  assert.deepEqual(normalize(decoded), decoded)
  assert.deepEqual(decoded, normalize(json))
  return decoded
}

/** A path into a decoded object (`resourceLogs.0.scopeLogs.0`), for terse assertions. */
function at(value: unknown, path: string): unknown {
  let v = value
  for (const key of path.split('.')) {
    assert.ok(typeof v === 'object' && v !== null, `no ${key} in ${path}`)
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

// ---------------------------------------------------------------------------------------------------------------
// SDK objects

const TRACE_ID = '5b8efff798038103d269b633813fc60c'
const SPAN_ID = 'eee19b7ec3c1b174'
const T0: [number, number] = [1_700_000_000, 123_456_789]

const resource = resourceFromAttributes({
  'service.name': 'claude-code',
  'service.version': '2.1.0',
  'process.pid': 4242,
  'host.cpu.ratio': 0.75,
  'feature.flags': ['a', 'b'],
})

async function logRecords(emit: (provider: LoggerProvider) => void): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter()
  const provider = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor({ exporter })],
  })
  emit(provider)
  await provider.forceFlush()
  const records = exporter.getFinishedLogRecords()
  await provider.shutdown()
  return records
}

class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------------------------
// The official encoder

describe('OTLP protobuf: logs from the official encoder', () => {
  it('decodes every AnyValue kind, resource and scope attributes, severity, trace context', async () => {
    const records = await logRecords((provider) => {
      const logger = provider.getLogger('com.example.scope', '1.2.3', {
        attributes: { 'scope.attr': 'yes', 'scope.n': 7 },
      })
      logger.emit({
        timestamp: T0,
        observedTimestamp: [1_700_000_001, 5],
        severityNumber: SeverityNumber.WARN,
        severityText: 'WARN',
        eventName: 'my.event',
        context: trace.setSpanContext(ROOT_CONTEXT, {
          traceId: TRACE_ID,
          spanId: SPAN_ID,
          traceFlags: TraceFlags.SAMPLED,
        }),
        body: {
          text: 'hello',
          nested: { deeper: [1, 'two', { three: true }], empty: [] },
          bytes: new Uint8Array([0, 1, 2, 250, 255]),
        },
        attributes: {
          string: 'some string',
          empty: '',
          int: 42,
          zero: 0,
          negative: -7,
          big: 2 ** 53,
          double: 637.704,
          bool: true,
          falsy: false,
          array: ['many', 'values', 3, 4.5, false],
          kvlist: { 'some.key': 'some value', inner: { n: 1 } },
          bytes: new Uint8Array([104, 101, 108, 108, 111]),
        },
      })
      // A bare record: no time, no body, no context, a string body on the next.
      logger.emit({ body: 'plain' })
      provider.getLogger('second.scope').emit({ timestamp: T0, body: 12 })
    })
    const decoded = compare(
      'logs',
      ProtobufLogsSerializer.serializeRequest(records),
      parseJson(JsonLogsSerializer.serializeRequest(records)),
    )
    const record = at(decoded, 'resourceLogs.0.scopeLogs.0.logRecords.0') as Record<string, unknown>
    assert.equal(record.timeUnixNano, '1700000000123456789')
    assert.equal(record.observedTimeUnixNano, '1700000001000000005')
    assert.equal(record.severityNumber, 13)
    assert.equal(record.traceId, TRACE_ID)
    assert.equal(record.spanId, SPAN_ID)
    assert.equal(record.flags, 1)
    assert.equal(record.eventName, 'my.event')
    const attributes = record.attributes as { key: string; value: unknown }[]
    const value = (key: string) => attributes.find((a) => a.key === key)?.value
    assert.deepEqual(value('int'), { intValue: '42' })
    assert.deepEqual(value('zero'), { intValue: '0' })
    assert.deepEqual(value('negative'), { intValue: '-7' })
    assert.deepEqual(value('big'), { intValue: '9007199254740992' })
    assert.deepEqual(value('empty'), { stringValue: '' })
    assert.deepEqual(value('falsy'), { boolValue: false })
    assert.deepEqual(value('double'), { doubleValue: 637.704 })
    assert.deepEqual(value('bytes'), { bytesValue: 'aGVsbG8=' })
    assert.deepEqual(at(decoded, 'resourceLogs.0.scopeLogs.0.scope'), {
      name: 'com.example.scope',
      version: '1.2.3',
      attributes: [
        { key: 'scope.attr', value: { stringValue: 'yes' } },
        { key: 'scope.n', value: { intValue: '7' } },
      ],
    })
    assert.deepEqual(at(decoded, 'resourceLogs.0.resource.attributes.2'), {
      key: 'process.pid',
      value: { intValue: '4242' },
    })
  })
})

describe('OTLP protobuf: metrics from the official encoder', () => {
  it('decodes sums, gauges, histograms and exponential histograms', async () => {
    const reader = new ManualReader()
    const provider = new MeterProvider({
      resource,
      readers: [reader],
      views: [
        {
          instrumentName: 'exp.duration',
          aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
        },
      ],
    })
    const meter = provider.getMeter('com.example.meter', '0.1.0')
    const counter = meter.createCounter('claude_code.token.usage', { unit: 'tokens' })
    counter.add(100, { type: 'input', model: 'claude-sonnet-4-5' })
    counter.add(5, { type: 'output', model: 'claude-sonnet-4-5' })
    const cost = meter.createCounter('claude_code.cost.usage', {
      unit: 'USD',
      description: 'Cost of the session',
    })
    cost.add(0.0123, { model: 'claude-sonnet-4-5' })
    meter.createUpDownCounter('active', { valueType: ValueType.INT }).add(-3)
    meter.createGauge('temperature.int', { valueType: ValueType.INT }).record(21)
    meter.createGauge('temperature.double').record(21.5, { room: 'a' })
    const histogram = meter.createHistogram('request.duration', {
      unit: 'ms',
      advice: { explicitBucketBoundaries: [0, 10, 100, 1000] },
    })
    for (const v of [5, 50, 50, 500, 5000, 0]) histogram.record(v)
    const exp = meter.createHistogram('exp.duration')
    for (const v of [0, 1, 2, 4, 8, 1024, -1]) exp.record(v)
    const { resourceMetrics, errors } = await reader.collect()
    assert.deepEqual(errors, [])
    await provider.shutdown()

    const decoded = compare(
      'metrics',
      ProtobufMetricsSerializer.serializeRequest(resourceMetrics),
      parseJson(JsonMetricsSerializer.serializeRequest(resourceMetrics)),
    )
    const metrics = at(decoded, 'resourceMetrics.0.scopeMetrics.0.metrics') as Record<
      string,
      unknown
    >[]
    const metric = (name: string) => {
      const found = metrics.find((m) => m.name === name)
      assert.ok(found, name)
      return found
    }
    const tokens = metric('claude_code.token.usage')
    assert.equal(at(tokens, 'sum.isMonotonic'), true)
    assert.equal(at(tokens, 'sum.aggregationTemporality'), 2) // cumulative
    assert.equal(at(tokens, 'sum.dataPoints.0.asInt'), undefined) // a counter's default type is double
    assert.equal(at(tokens, 'sum.dataPoints.0.asDouble'), 100)
    assert.match(at(tokens, 'sum.dataPoints.0.startTimeUnixNano') as string, /^\d{19}$/)
    assert.equal(at(metric('claude_code.cost.usage'), 'sum.dataPoints.0.asDouble'), 0.0123)
    assert.equal(at(metric('active'), 'sum.dataPoints.0.asInt'), '-3')
    assert.equal(at(metric('active'), 'sum.isMonotonic'), undefined)
    assert.equal(at(metric('temperature.int'), 'gauge.dataPoints.0.asInt'), '21')
    assert.equal(at(metric('temperature.double'), 'gauge.dataPoints.0.asDouble'), 21.5)
    const point = at(metric('request.duration'), 'histogram.dataPoints.0') as Record<
      string,
      unknown
    >
    assert.equal(point.count, '6')
    assert.equal(point.sum, 5605)
    assert.equal(point.min, 0)
    assert.equal(point.max, 5000)
    assert.deepEqual(point.explicitBounds, [0, 10, 100, 1000])
    assert.deepEqual(point.bucketCounts, ['1', '1', '2', '1', '1'])
    const expPoint = at(metric('exp.duration'), 'exponentialHistogram.dataPoints.0') as Record<
      string,
      unknown
    >
    assert.equal(expPoint.count, '6') // a histogram drops negative measurements
    assert.equal(expPoint.zeroCount, '1')
    assert.equal(typeof expPoint.scale, 'number')
  })
})

describe('OTLP protobuf: traces from the official encoder', () => {
  it('decodes spans with a parent, events, links, status, kind and attributes', async () => {
    const exporter = new InMemorySpanExporter()
    const provider = new TracerProvider({
      resource,
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    })
    const tracer = provider.getTracer('com.example.tracer', '3.0.0')
    const parent = tracer.startSpan('claude_code.interaction', {
      kind: SpanKind.SERVER,
      startTime: T0,
      attributes: { 'session.id': 'abc', turn: 3, ok: true, ratio: 0.5, tags: ['x', 'y'] },
    })
    const linked = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }
    const links: { context: typeof linked; attributes?: Attributes }[] = [
      { context: linked, attributes: { reason: 'retry' } },
    ]
    const child = tracer.startSpan(
      'claude_code.llm_request',
      { kind: SpanKind.CLIENT, startTime: T0, links },
      trace.setSpan(ROOT_CONTEXT, parent),
    )
    child.addEvent('first token', { tokens: 1 }, [1_700_000_000, 500_000_000])
    child.addEvent('bare', [1_700_000_000, 600_000_000])
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'overloaded' })
    child.end([1_700_000_001, 0])
    parent.setStatus({ code: SpanStatusCode.OK })
    parent.end([1_700_000_002, 0])
    const spans = exporter.getFinishedSpans()
    await provider.shutdown()

    const decoded = compare(
      'traces',
      ProtobufTraceSerializer.serializeRequest(spans),
      parseJson(JsonTraceSerializer.serializeRequest(spans)),
    )
    const all = at(decoded, 'resourceSpans.0.scopeSpans.0.spans') as Record<string, unknown>[]
    const childSpan = all.find((s) => s.name === 'claude_code.llm_request')!
    const parentSpan = all.find((s) => s.name === 'claude_code.interaction')!
    assert.equal(childSpan.parentSpanId, parent.spanContext().spanId)
    assert.equal(childSpan.traceId, parent.spanContext().traceId)
    assert.match(childSpan.spanId as string, /^[0-9a-f]{16}$/)
    assert.match(childSpan.traceId as string, /^[0-9a-f]{32}$/)
    assert.equal(parentSpan.parentSpanId, undefined)
    assert.equal(childSpan.kind, 3)
    assert.equal(parentSpan.kind, 2)
    assert.deepEqual(childSpan.status, { code: 2, message: 'overloaded' })
    assert.deepEqual(parentSpan.status, { code: 1 })
    assert.equal(childSpan.startTimeUnixNano, '1700000000123456789')
    assert.equal(childSpan.endTimeUnixNano, '1700000001000000000')
    assert.deepEqual(childSpan.events, [
      {
        timeUnixNano: '1700000000500000000',
        name: 'first token',
        attributes: [{ key: 'tokens', value: { intValue: '1' } }],
      },
      { timeUnixNano: '1700000000600000000', name: 'bare' },
    ])
    assert.deepEqual(at(childSpan, 'links.0.traceId'), TRACE_ID)
    assert.deepEqual(at(childSpan, 'links.0.spanId'), SPAN_ID)
    assert.deepEqual(at(childSpan, 'links.0.attributes'), [
      { key: 'reason', value: { stringValue: 'retry' } },
    ])
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Hand-built bytes

type Bytes = number[]

function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value))
  const out: Bytes = []
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return out
}
const tag = (field: number, wireType: number): Bytes => varint(field * 8 + wireType)
/** A length-delimited field (a message, a string, bytes, a packed run). */
const ld = (field: number, ...content: Bytes[]): Bytes => {
  const body = content.flat()
  return [...tag(field, 2), ...varint(body.length), ...body]
}
const str = (field: number, s: string): Bytes => ld(field, [...Buffer.from(s, 'utf8')])
const uvarint = (field: number, v: number | bigint): Bytes => [...tag(field, 0), ...varint(v)]
const fixed64Raw = (v: bigint): Bytes => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt.asUintN(64, v))
  return [...b]
}
const fixed64 = (field: number, v: bigint): Bytes => [...tag(field, 1), ...fixed64Raw(v)]
const doubleRaw = (v: number): Bytes => {
  const b = Buffer.alloc(8)
  b.writeDoubleLE(v)
  return [...b]
}
const double = (field: number, v: number): Bytes => [...tag(field, 1), ...doubleRaw(v)]
const fixed32 = (field: number, v: number): Bytes => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(v)
  return [...tag(field, 5), ...b]
}

/** An ExportLogsServiceRequest with one record (resource_logs 1 → scope_logs 2 → log_records 2). */
const logsRequest = (...record: Bytes[]): Uint8Array =>
  new Uint8Array(ld(1, ld(2, ld(2, ...record))))
/** An ExportMetricsServiceRequest with one metric (resource_metrics 1 → scope_metrics 2 → metrics 2). */
const metricsRequest = (...metric: Bytes[]): Uint8Array =>
  new Uint8Array(ld(1, ld(2, ld(2, ...metric))))
const firstRecord = (decoded: unknown) => at(decoded, 'resourceLogs.0.scopeLogs.0.logRecords.0')
const firstMetric = (decoded: unknown) => at(decoded, 'resourceMetrics.0.scopeMetrics.0.metrics.0')

function throwsProtobufError(fn: () => unknown, pattern?: RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof OtlpProtobufError, `not an OtlpProtobufError: ${String(error)}`)
    if (pattern !== undefined) assert.match(error.message, pattern)
    return true
  })
}

describe('OTLP protobuf: hand-built vectors', () => {
  it('decodes an empty body as an empty request', () => {
    for (const kind of ['logs', 'metrics', 'traces'] as const) {
      assert.deepEqual(decodeProtobuf(kind, new Uint8Array()), {})
    }
  })

  it('skips unknown fields of every wire type (forward compatibility)', () => {
    const unknown = [
      ...uvarint(99, 300),
      ...fixed64(98, 1n),
      ...str(97, 'future'),
      ...fixed32(96, 7),
      ...tag(95, 3),
      ...uvarint(1, 1),
      ...tag(95, 4), // a group
    ]
    const bytes = new Uint8Array([
      ...unknown,
      ...ld(
        1,
        unknown,
        ld(2, unknown, ld(2, unknown, str(3, 'INFO'), ld(5, unknown, str(1, 'x')))),
      ),
    ])
    assert.deepEqual(decodeProtobuf('logs', bytes), {
      resourceLogs: [
        { scopeLogs: [{ logRecords: [{ severityText: 'INFO', body: { stringValue: 'x' } }] }] },
      ],
    })
  })

  it('writes ids in hex, other bytes in base64, 64-bit integers as decimal strings', () => {
    const decoded = decodeProtobuf(
      'logs',
      logsRequest(
        fixed64(1, 0xffffffffffffffffn),
        ld(9, [0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81]),
        ld(10, [0x00, 0x01, 0xab]),
        ld(6, str(1, 'neg'), ld(2, uvarint(3, -5n))),
        ld(6, str(1, 'min'), ld(2, uvarint(3, -(2n ** 63n)))),
        ld(6, str(1, 'bytes'), ld(2, ld(7, [0xff, 0xfe, 0x00]))),
        ld(6, str(1, 'nan'), ld(2, double(4, Number.NaN))),
        ld(6, str(1, 'inf'), ld(2, double(4, -Infinity))),
      ),
    )
    assert.deepEqual(firstRecord(decoded), {
      timeUnixNano: '18446744073709551615',
      traceId: '5b8efff798038103d269b63381',
      spanId: '0001ab',
      attributes: [
        { key: 'neg', value: { intValue: '-5' } },
        { key: 'min', value: { intValue: '-9223372036854775808' } },
        { key: 'bytes', value: { bytesValue: '//4A' } },
        { key: 'nan', value: { doubleValue: 'NaN' } },
        { key: 'inf', value: { doubleValue: '-Infinity' } },
      ],
    })
  })

  it('keeps set oneof members at their default value, the last one written winning', () => {
    const decoded = decodeProtobuf(
      'logs',
      logsRequest(
        ld(6, str(1, 'empty'), ld(2, str(1, ''))),
        ld(6, str(1, 'zero'), ld(2, uvarint(3, 0))),
        ld(6, str(1, 'false'), ld(2, uvarint(2, 0))),
        ld(6, str(1, 'last'), ld(2, str(1, 'first'), uvarint(3, 2))),
        ld(6, str(1, 'unset'), ld(2)),
        ld(6, str(1, 'no value')),
        ld(6, str(1, 'arrays'), ld(2, ld(5, ld(1), ld(1, ld(5))))),
        // proto3 defaults written explicitly are omitted
        fixed64(11, 0n),
        uvarint(2, 0),
        str(3, ''),
      ),
    )
    assert.deepEqual(firstRecord(decoded), {
      attributes: [
        { key: 'empty', value: { stringValue: '' } },
        { key: 'zero', value: { intValue: '0' } },
        { key: 'false', value: { boolValue: false } },
        { key: 'last', value: { intValue: '2' } },
        { key: 'unset', value: {} },
        { key: 'no value' },
        { key: 'arrays', value: { arrayValue: { values: [{}, { arrayValue: {} }] } } },
      ],
    })
  })

  it('reads repeated fixed64 and double both packed and unpacked', () => {
    const point = (...fields: Bytes[]) =>
      metricsRequest(str(1, 'h'), ld(9, ld(1, ...fields), uvarint(2, 2)))
    const expected = {
      name: 'h',
      histogram: {
        dataPoints: [{ count: '6', bucketCounts: ['1', '2', '3'], explicitBounds: [0.5, 10] }],
        aggregationTemporality: 2,
      },
    }
    const packed = point(
      fixed64(4, 6n),
      ld(6, fixed64Raw(1n), fixed64Raw(2n), fixed64Raw(3n)),
      ld(7, doubleRaw(0.5), doubleRaw(10)),
    )
    const unpacked = point(
      fixed64(4, 6n),
      fixed64(6, 1n),
      fixed64(6, 2n),
      fixed64(6, 3n),
      double(7, 0.5),
      double(7, 10),
    )
    const mixed = point(
      fixed64(4, 6n),
      fixed64(6, 1n),
      ld(6, fixed64Raw(2n), fixed64Raw(3n)),
      ld(7, doubleRaw(0.5)),
      double(7, 10),
    )
    for (const bytes of [packed, unpacked, mixed]) {
      assert.deepEqual(firstMetric(decodeProtobuf('metrics', bytes)), expected)
    }
  })

  it('keeps proto3 optional fields set to zero, and decodes summaries and exemplars', () => {
    const histogram = decodeProtobuf(
      'metrics',
      metricsRequest(ld(9, ld(1, double(5, 0), double(11, 0), fixed64(4, 0n)))),
    )
    assert.deepEqual(firstMetric(histogram), { histogram: { dataPoints: [{ sum: 0, min: 0 }] } })
    const summary = decodeProtobuf(
      'metrics',
      metricsRequest(
        str(1, 's'),
        ld(
          11,
          ld(
            1,
            fixed64(3, 5n),
            fixed64(4, 2n),
            double(5, 3.5),
            ld(6, double(1, 0.5), double(2, 1)),
            ld(6, double(1, 1), double(2, 2.5)),
          ),
        ),
      ),
    )
    assert.deepEqual(firstMetric(summary), {
      name: 's',
      summary: {
        dataPoints: [
          {
            timeUnixNano: '5',
            count: '2',
            sum: 3.5,
            quantileValues: [
              { quantile: 0.5, value: 1 },
              { quantile: 1, value: 2.5 },
            ],
          },
        ],
      },
    })
    const gauge = decodeProtobuf(
      'metrics',
      metricsRequest(
        ld(
          5,
          ld(
            1,
            [...tag(6, 1), ...fixed64Raw(-2n)], // as_int, sfixed64
            ld(5, [...tag(6, 1), ...fixed64Raw(0n)], ld(4, [1, 2]), ld(5, [3])),
            uvarint(8, 1),
          ),
        ),
      ),
    )
    assert.deepEqual(firstMetric(gauge), {
      gauge: {
        dataPoints: [
          { asInt: '-2', exemplars: [{ asInt: '0', spanId: '0102', traceId: '03' }], flags: 1 },
        ],
      },
    })
  })

  it('decodes exponential histogram buckets (sint32 offsets, uint64 counts)', () => {
    const decoded = decodeProtobuf(
      'metrics',
      metricsRequest(
        ld(
          10,
          ld(
            1,
            uvarint(6, 3), // scale -2 in zigzag
            fixed64(7, 1n),
            ld(8, uvarint(1, 3), ld(2, varint(1), varint(300))), // offset -2, packed
            ld(9, uvarint(1, 4), uvarint(2, 5)), // offset 2, unpacked
            double(14, 0.001),
          ),
        ),
      ),
    )
    assert.deepEqual(firstMetric(decoded), {
      exponentialHistogram: {
        dataPoints: [
          {
            scale: -2,
            zeroCount: '1',
            positive: { offset: -2, bucketCounts: ['1', '300'] },
            negative: { offset: 2, bucketCounts: ['5'] },
            zeroThreshold: 0.001,
          },
        ],
      },
    })
  })

  it('decodes a span with flags, trace state, links and status, its resource and scope', () => {
    const bytes = new Uint8Array(
      ld(
        1,
        ld(
          1, // resource, with an entity reference
          ld(1, str(1, 'service.name'), ld(2, str(1, 'svc'))),
          uvarint(2, 1),
          ld(3, str(1, 'https://schema'), str(2, 'service'), str(3, 'service.name'), str(3, 'x')),
        ),
        str(3, 'https://schema/resource'),
        ld(
          2,
          ld(1, str(1, 'lib'), str(2, '1.0'), uvarint(4, 2)),
          str(3, 'https://schema/scope'),
          ld(
            2,
            ld(
              1,
              Array.from({ length: 16 }, (_, i) => i),
            ),
            ld(2, [1, 2, 3, 4, 5, 6, 7, 8]),
            str(3, 'k=v'),
            ld(4, [8, 7, 6, 5, 4, 3, 2, 1]),
            fixed32(16, 0x301),
            str(5, 'op'),
            uvarint(6, 9), // a kind this schema does not name: kept as its number
            fixed64(7, 1n),
            fixed64(8, 2n),
            ld(13, ld(1, [0xaa]), ld(2, [0xbb]), fixed32(6, 1)),
            uvarint(14, 3),
            ld(15, str(2, 'boom'), uvarint(3, 2)),
          ),
        ),
      ),
    )
    const decoded = decodeProtobuf('traces', bytes)
    assert.deepEqual(at(decoded, 'resourceSpans.0.resource'), {
      attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }],
      droppedAttributesCount: 1,
      entityRefs: [{ schemaUrl: 'https://schema', type: 'service', idKeys: ['service.name', 'x'] }],
    })
    assert.equal(at(decoded, 'resourceSpans.0.schemaUrl'), 'https://schema/resource')
    assert.equal(at(decoded, 'resourceSpans.0.scopeSpans.0.schemaUrl'), 'https://schema/scope')
    assert.deepEqual(at(decoded, 'resourceSpans.0.scopeSpans.0.scope'), {
      name: 'lib',
      version: '1.0',
      droppedAttributesCount: 2,
    })
    assert.deepEqual(at(decoded, 'resourceSpans.0.scopeSpans.0.spans.0'), {
      traceId: '000102030405060708090a0b0c0d0e0f',
      spanId: '0102030405060708',
      traceState: 'k=v',
      parentSpanId: '0807060504030201',
      flags: 0x301,
      name: 'op',
      kind: 9,
      startTimeUnixNano: '1',
      endTimeUnixNano: '2',
      links: [{ traceId: 'aa', spanId: 'bb', flags: 1 }],
      droppedLinksCount: 3,
      status: { message: 'boom', code: 2 },
    })
  })

  it('refuses a truncated message', () => {
    const valid = logsRequest(str(3, 'INFO'), ld(5, str(1, 'hello')))
    throwsProtobufError(() => decodeProtobuf('logs', valid.subarray(0, valid.length - 1)))
    throwsProtobufError(() => decodeProtobuf('logs', valid.subarray(0, 3)))
    throwsProtobufError(() => decodeProtobuf('logs', new Uint8Array([0x0a]))) // tag, no length
    throwsProtobufError(() => decodeProtobuf('logs', new Uint8Array([0x0a, 0x80]))) // half a varint
    throwsProtobufError(() => decodeProtobuf('metrics', new Uint8Array([0x09, 1, 2]))) // half a fixed64
    // A nested length running past its parent's end.
    throwsProtobufError(() => decodeProtobuf('logs', new Uint8Array([0x0a, 2, 0x12, 5, 0, 0, 0])))
    // Every prefix either decodes (it ends on a field boundary) or is refused.
    for (let n = 0; n < valid.length; n++) {
      try {
        decodeProtobuf('logs', valid.subarray(0, n))
      } catch (error) {
        assert.ok(error instanceof OtlpProtobufError)
      }
    }
  })

  it('refuses a wire type that does not match the field', () => {
    // resource_logs (a message) as a varint
    throwsProtobufError(() => decodeProtobuf('logs', new Uint8Array([0x08, 1])), /wrong wire type/)
    // time_unix_nano (fixed64) as a varint
    throwsProtobufError(
      () => decodeProtobuf('logs', logsRequest(uvarint(1, 5))),
      /timeUnixNano \(field 1\) has the wrong wire type \(varint\)/,
    )
    // body (a message) as fixed32; a string as a varint; a packed-only double as fixed32
    throwsProtobufError(() => decodeProtobuf('logs', logsRequest(fixed32(5, 1))))
    throwsProtobufError(() => decodeProtobuf('logs', logsRequest(uvarint(3, 1))))
    throwsProtobufError(() =>
      decodeProtobuf('metrics', metricsRequest(ld(9, ld(1, fixed32(7, 1))))),
    )
    // a message field as a group
    throwsProtobufError(() =>
      decodeProtobuf('traces', new Uint8Array([...tag(1, 3), ...tag(1, 4)])),
    )
    // wire types 6 and 7 do not exist; field number 0 neither; an end group without its start
    throwsProtobufError(() => decodeProtobuf('logs', new Uint8Array([...tag(50, 6), 0])))
    throwsProtobufError(() => decodeProtobuf('logs', new Uint8Array([...tag(50, 7), 0])))
    throwsProtobufError(() => decodeProtobuf('logs', new Uint8Array([0x00, 0x00])))
    throwsProtobufError(() => decodeProtobuf('logs', new Uint8Array(tag(50, 4))))
    throwsProtobufError(() =>
      decodeProtobuf('logs', new Uint8Array([...tag(50, 3), ...tag(51, 4)])),
    )
  })

  it('refuses strings that are not UTF-8', () => {
    throwsProtobufError(() => decodeProtobuf('logs', logsRequest(ld(3, [0x41, 0xc3]))), /not UTF-8/)
    throwsProtobufError(() =>
      decodeProtobuf('logs', logsRequest(ld(5, ld(1, [0xff, 0x41, 0x41, 0x41, 0x41, 0x41])))),
    )
    throwsProtobufError(() =>
      decodeProtobuf('traces', new Uint8Array(ld(1, ld(3, [0xed, 0xa0, 0x80])))),
    )
    // bytes are not checked
    assert.deepEqual(
      at(firstRecord(decodeProtobuf('logs', logsRequest(ld(5, ld(7, [0xff]))))), 'body'),
      { bytesValue: '/w==' },
    )
  })

  it('bounds nesting', () => {
    // Built with Buffer.concat: spreading number arrays thousands of levels deep is quadratic.
    const wrap = (field: number, body: Buffer) =>
      Buffer.concat([Buffer.from([...tag(field, 2), ...varint(body.length)]), body])
    const nestedArrays = (depth: number): Bytes => {
      let value = Buffer.from(str(1, 'leaf'))
      for (let i = 0; i < depth; i++) value = wrap(5, wrap(1, value))
      return [...value]
    }
    const nestedLists = (depth: number): Bytes => {
      let value = Buffer.from(str(1, 'leaf'))
      for (let i = 0; i < depth; i++) {
        value = wrap(6, wrap(1, Buffer.concat([Buffer.from(str(1, 'k')), wrap(2, value)])))
      }
      return [...value]
    }
    let body = at(firstRecord(decodeProtobuf('logs', logsRequest(ld(5, nestedArrays(40))))), 'body')
    for (let i = 0; i < 40; i++) body = at(body, 'arrayValue.values.0')
    assert.deepEqual(body, { stringValue: 'leaf' })
    assert.ok(decodeProtobuf('logs', logsRequest(ld(5, nestedLists(30)))))
    throwsProtobufError(() => decodeProtobuf('logs', logsRequest(ld(5, nestedArrays(65)))))
    throwsProtobufError(() => decodeProtobuf('logs', logsRequest(ld(5, nestedLists(65)))))
    throwsProtobufError(
      () => decodeProtobuf('logs', logsRequest(ld(5, nestedArrays(2_000)))),
      /max depth exceeded/,
    )
    // Past protobufjs's message depth (100, protoc's default), the AnyValue limit of its own: 64 levels.
    const saved = [protobuf.Reader.recursionLimit, protobuf.util.recursionLimit]
    protobuf.Reader.recursionLimit = protobuf.util.recursionLimit = 1_000
    try {
      assert.ok(decodeProtobuf('logs', logsRequest(ld(5, nestedArrays(63))))) // 64 AnyValues
      throwsProtobufError(
        () => decodeProtobuf('logs', logsRequest(ld(5, nestedArrays(64)))),
        /AnyValue nested deeper than 64 levels/,
      )
    } finally {
      ;[protobuf.Reader.recursionLimit, protobuf.util.recursionLimit] = saved as [number, number]
    }
    // deep unknown groups too
    const groups = [...Array(500).fill(tag(50, 3)).flat(), ...Array(500).fill(tag(50, 4)).flat()]
    throwsProtobufError(() => decodeProtobuf('logs', new Uint8Array(groups)))
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Fuzzing

describe('OTLP protobuf: fuzz', () => {
  const seeds: [OtlpSignal, Uint8Array][] = [
    ['logs', logsRequest(fixed64(1, 5n), str(3, 'INFO'), ld(5, ld(5, ld(1, str(1, 'a')))))],
    [
      'logs',
      logsRequest(
        ld(6, str(1, 'k'), ld(2, ld(6, ld(1, str(1, 'x'), ld(2, double(4, 1.5)))))),
        ld(9, [1, 2]),
      ),
    ],
    ['metrics', metricsRequest(str(1, 'h'), ld(9, ld(1, fixed64(4, 3n), ld(6, fixed64Raw(1n)))))],
    [
      'traces',
      new Uint8Array(ld(1, ld(2, ld(2, ld(1, [1, 2]), str(5, 'op'), ld(15, str(2, 'x')))))),
    ],
  ]
  const kinds = fc.constantFrom<OtlpSignal>('logs', 'metrics', 'traces')

  /** Returns an object or throws OtlpProtobufError: nothing else. */
  function holds(kind: OtlpSignal, bytes: Uint8Array): boolean {
    try {
      const decoded = decodeProtobuf(kind, bytes)
      return (
        typeof decoded === 'object' && decoded !== null && JSON.stringify(decoded) !== undefined
      )
    } catch (error) {
      return error instanceof OtlpProtobufError
    }
  }

  it('random bytes', () => {
    fc.assert(
      fc.property(kinds, fc.uint8Array({ maxLength: 200 }), (kind, bytes) => holds(kind, bytes)),
      { seed: 20240601, numRuns: 1000 },
    )
  })

  it('mutations of valid vectors', () => {
    const mutation = fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      edits: fc.array(
        fc.record({
          op: fc.constantFrom('set', 'insert', 'delete'),
          at: fc.nat(),
          byte: fc.integer({ min: 0, max: 255 }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      kind: kinds,
    })
    fc.assert(
      fc.property(mutation, ({ seed, edits, kind }) => {
        const [seedKind, seedBytes] = seeds[seed]!
        const bytes = [...seedBytes]
        for (const { op, at, byte } of edits) {
          const i = at % (bytes.length + 1)
          if (op === 'set' && i < bytes.length) bytes[i] = byte
          else if (op === 'insert') bytes.splice(i, 0, byte)
          else if (op === 'delete') bytes.splice(i, 1)
        }
        // mostly the seed's own type, sometimes another
        return holds(edits.length > 1 ? seedKind : kind, new Uint8Array(bytes))
      }),
      { seed: 42, numRuns: 1000 },
    )
  })
})

// ---------------------------------------------------------------------------------------------------------------
// The join path

describe('OTLP protobuf: Claude Code api_request', () => {
  it('gives decodeLogs the same records from protobuf as from JSON', async () => {
    const records = await logRecords((provider) => {
      const logger = provider.getLogger('com.anthropic.claude_code.events', '2.1.0')
      for (const [i, input] of [1200, '345'].entries()) {
        logger.emit({
          timestamp: [1_700_000_000 + i, 0],
          observedTimestamp: [1_700_000_000 + i, 1_000],
          body: 'claude_code.api_request',
          attributes: {
            'event.name': 'api_request',
            'event.timestamp': '2023-11-14T22:13:20.000Z',
            'session.id': 'session-1',
            'prompt.id': `prompt-${i}`,
            model: 'claude-sonnet-4-5',
            cost_usd: 0.0123,
            input_tokens: input,
            output_tokens: 56,
            cache_read_tokens: 0,
            duration_ms: 812.5,
          },
        })
      }
    })
    const protobufBytes = ProtobufLogsSerializer.serializeRequest(records)
    assert.ok(protobufBytes !== undefined)
    const fromProtobuf = decodeLogs(decodeProtobuf('logs', protobufBytes))
    const fromJson = decodeLogs(parseJson(JsonLogsSerializer.serializeRequest(records)))
    assert.equal(fromProtobuf.length, 2)
    assert.deepEqual(fromProtobuf, fromJson)
    assert.equal(fromProtobuf[0]!.timeMs, 1_700_000_000_000)
    assert.equal(fromProtobuf[0]!.body, 'claude_code.api_request')
    assert.equal(fromProtobuf[0]!.attributes.cost_usd, 0.0123)
    assert.equal(fromProtobuf[0]!.attributes.input_tokens, 1200)
    assert.equal(fromProtobuf[1]!.attributes.input_tokens, '345')
    assert.equal(fromProtobuf[1]!.attributes['session.id'], 'session-1')
    assert.equal(fromProtobuf[1]!.attributes['service.name'], 'claude-code')
  })
})
