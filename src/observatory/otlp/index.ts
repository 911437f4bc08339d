/**
 * The OTLP/HTTP receiver: Claude Code's own telemetry (OpenTelemetry logs, metrics and traces), joined with the hook
 * sessions.
 *
 *   POST /v1/logs      OTLP JSON or protobuf (optionally gzip): `claude_code.api_request` events go to
 *                      the store table `api_requests` (cost, tokens, duration per session and turn); every other
 *                      record (`tool_result`, `user_prompt`, `api_error`, `tool_decision`…) to `telemetry_events`
 *                      (its name without `claude_code.`, session, turn, `tool_use_id`, attributes), where the API
 *                      joins `tool_result`s with the hook tool calls by `tool_use_id`. Records without
 *                      `session.id` are kept with no session, except an `api_request`, which is rejected.
 *   POST /v1/metrics   OTLP: one `telemetry_metrics` row per data point (sum, gauge: the value; histogram,
 *                      exponential histogram, summary: the sum and the count), with its resource's and its own
 *                      attributes and `session.id`
 *   POST /v1/traces    OTLP: one `telemetry_spans` row per span (hex ids; upserted by trace and span id);
 *                      a span without `session.id` takes the one another span of its trace in the request names
 *
 * Everything goes through the store's group commit; the answer is sent once it is committed. Without a store
 * (--no-db) nothing is kept and every item is rejected with a partial success.
 *
 * The OTLP JSON encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): lowerCamelCase
 * keys, 64-bit integers as JSON strings or numbers, enums as integers (or their names), trace and span ids as
 * hex, `anyValue` as a one-key object (`stringValue`, `intValue`, `doubleValue`, `boolValue`, `arrayValue`,
 * `kvlistValue`, `bytesValue`). OTLP protobuf (`application/x-protobuf`, the exporters' default `http/protobuf`)
 * is decoded by protobuf.ts into that same JSON form, so both encodings take the same path and store the same
 * rows. An empty request (`{}`, or an empty protobuf body) is valid. A body that is not such a message gets 400
 * with a `google.rpc.Status`-like body (`{"code":3,"message":…}`), another content type 415, a gzip body
 * inflating past the body limit 413. Success is 200 with `{}`, or `{"partialSuccess":{…}}` with
 * `rejectedLogRecords`, `rejectedDataPoints` or `rejectedSpans` and an `errorMessage` for items that could not be
 * used (an `api_request` without `session.id`, a span without valid ids, or anything when there is no store).
 */
import { gunzipSync } from 'node:zlib'
import type { App, Context } from '../../framework/index.ts'
import type { Response } from '../../transport/index.ts'
import type { ApiRequestRow, Store } from '../store/store.ts'
import type { MetricKind, MetricPointRow, SpanRow, TelemetryEventRow } from '../store/telemetry.ts'
import { OtlpError } from './errors.ts'
import { decodeProtobuf, type OtlpSignal } from './protobuf.ts'

/** A decoded OTLP `AnyValue`. */
export type OtlpValue =
  | string
  | number
  | boolean
  | null
  | OtlpValue[]
  | { [key: string]: OtlpValue }
  | Uint8Array

/** One log record, decoded: its resource's attributes merged under its own. */
export interface OtlpLogRecord {
  /** Epoch ms (`timeUnixNano`, else `observedTimeUnixNano`), or null when neither is set. */
  timeMs: number | null
  body: OtlpValue
  attributes: Record<string, OtlpValue>
}

export { OtlpError } from './errors.ts'

// ---------------------------------------------------------------------------------------------------------------
// Decoding

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `value[key]` as an array ([] when absent or null); anything else is malformed. */
function arrayAt(value: Json, key: string, where: string): unknown[] {
  const member = value[key]
  if (member === undefined || member === null) return []
  if (!Array.isArray(member)) throw new OtlpError(`${where}.${key} must be an array`)
  return member
}

function objectAt(value: unknown, where: string): Json {
  if (!isObject(value)) throw new OtlpError(`${where} must be an object`)
  return value
}

/** A 64-bit integer as OTLP JSON writes it (a string of digits or a number). */
function int64(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value)
  throw new OtlpError(`${where} must be an integer (a number or a string of digits)`)
}

/** Nanoseconds since the epoch (string or number) → epoch ms; 0 or absent → null. */
function unixNanoToMs(value: unknown, where: string): number | null {
  if (value === undefined || value === null) return null
  let ms: number
  if (typeof value === 'string') {
    if (!/^\d+$/.test(value)) throw new OtlpError(`${where} must be an integer`)
    ms = Number(BigInt(value) / 1_000_000n)
  } else if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    ms = Math.floor(value / 1e6)
  } else {
    throw new OtlpError(`${where} must be an integer`)
  }
  return ms === 0 ? null : ms
}

/** Decodes an `AnyValue` (an empty object is an empty value: null). */
export function decodeAnyValue(value: unknown, where = 'value'): OtlpValue {
  if (value === undefined || value === null) return null
  const v = objectAt(value, where)
  if ('stringValue' in v) {
    if (typeof v.stringValue !== 'string')
      throw new OtlpError(`${where}.stringValue must be a string`)
    return v.stringValue
  }
  if ('intValue' in v) return int64(v.intValue, `${where}.intValue`)
  if ('doubleValue' in v) {
    const d = v.doubleValue
    if (typeof d === 'number') return d
    // The proto3 JSON mapping allows numbers as strings, and NaN / Infinity spelled out.
    if (typeof d === 'string' && d.trim() !== '' && !Number.isNaN(Number(d))) return Number(d)
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return Number(d)
    throw new OtlpError(`${where}.doubleValue must be a number`)
  }
  if ('boolValue' in v) {
    if (typeof v.boolValue !== 'boolean')
      throw new OtlpError(`${where}.boolValue must be a boolean`)
    return v.boolValue
  }
  if ('arrayValue' in v) {
    const array = objectAt(v.arrayValue ?? {}, `${where}.arrayValue`)
    return arrayAt(array, 'values', `${where}.arrayValue`).map((item, i) =>
      decodeAnyValue(item, `${where}.arrayValue.values[${i}]`),
    )
  }
  if ('kvlistValue' in v) {
    const list = objectAt(v.kvlistValue ?? {}, `${where}.kvlistValue`)
    return decodeAttributes(arrayAt(list, 'values', `${where}.kvlistValue`), `${where}.kvlistValue`)
  }
  if ('bytesValue' in v) {
    const b = v.bytesValue
    if (typeof b !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(b)) {
      throw new OtlpError(`${where}.bytesValue must be base64`)
    }
    return new Uint8Array(Buffer.from(b, 'base64'))
  }
  return null
}

/** `[{key, value}]` → an object (a later key wins). */
export function decodeAttributes(list: unknown[], where: string): Record<string, OtlpValue> {
  const result: Record<string, OtlpValue> = Object.create(null) as Record<string, OtlpValue>
  list.forEach((item, i) => {
    const kv = objectAt(item, `${where}[${i}]`)
    // proto3 leaves an empty key out (and a profiling-only `keyStrindex` has none): the key is "".
    const key = kv.key ?? ''
    if (typeof key !== 'string') throw new OtlpError(`${where}[${i}].key must be a string`)
    result[key] = decodeAnyValue(kv.value, `${where}[${i}].value`)
  })
  return result
}

function attributesOf(holder: Json, where: string): Record<string, OtlpValue> {
  return decodeAttributes(arrayAt(holder, 'attributes', where), `${where}.attributes`)
}

/** Decodes an `ExportLogsServiceRequest`; throws {@link OtlpError} when it is not one. */
export function decodeLogs(message: unknown): OtlpLogRecord[] {
  const root = objectAt(message, 'the request')
  const records: OtlpLogRecord[] = []
  arrayAt(root, 'resourceLogs', 'request').forEach((rl, i) => {
    const where = `resourceLogs[${i}]`
    const resourceLogs = objectAt(rl, where)
    const resource =
      resourceLogs.resource === undefined || resourceLogs.resource === null
        ? {}
        : attributesOf(objectAt(resourceLogs.resource, `${where}.resource`), `${where}.resource`)
    arrayAt(resourceLogs, 'scopeLogs', where).forEach((sl, j) => {
      const scopeWhere = `${where}.scopeLogs[${j}]`
      const scopeLogs = objectAt(sl, scopeWhere)
      arrayAt(scopeLogs, 'logRecords', scopeWhere).forEach((lr, k) => {
        const recordWhere = `${scopeWhere}.logRecords[${k}]`
        const record = objectAt(lr, recordWhere)
        const timeMs =
          unixNanoToMs(record.timeUnixNano, `${recordWhere}.timeUnixNano`) ??
          unixNanoToMs(record.observedTimeUnixNano, `${recordWhere}.observedTimeUnixNano`)
        records.push({
          timeMs,
          body: decodeAnyValue(record.body, `${recordWhere}.body`),
          attributes: { ...resource, ...attributesOf(record, recordWhere) },
        })
      })
    })
  })
  return records
}

/**
 * Checks an `ExportMetricsServiceRequest` or `ExportTraceServiceRequest` down to its items (metrics, spans) and
 * counts them; throws {@link OtlpError} when it is not one.
 */
export function countItems(
  message: unknown,
  kind: 'metrics' | 'traces',
): { items: number; points: number } {
  const root = objectAt(message, 'the request')
  const [outer, scope, item] =
    kind === 'metrics'
      ? ['resourceMetrics', 'scopeMetrics', 'metrics']
      : ['resourceSpans', 'scopeSpans', 'spans']
  let items = 0
  let points = 0
  arrayAt(root, outer, 'request').forEach((r, i) => {
    const where = `${outer}[${i}]`
    const resource = objectAt(r, where)
    if (isObject(resource.resource)) attributesOf(resource.resource, `${where}.resource`)
    arrayAt(resource, scope, where).forEach((s, j) => {
      const scopeWhere = `${where}.${scope}[${j}]`
      arrayAt(objectAt(s, scopeWhere), item, scopeWhere).forEach((m, k) => {
        const itemWhere = `${scopeWhere}.${item}[${k}]`
        const it = objectAt(m, itemWhere)
        attributesOf(it, itemWhere)
        items++
        if (kind === 'metrics') {
          for (const type of ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary']) {
            const data = it[type]
            if (data === undefined || data === null) continue
            const points_ = arrayAt(objectAt(data, `${itemWhere}.${type}`), 'dataPoints', itemWhere)
            points += points_.length
          }
        }
      })
    })
  })
  return { items, points }
}

/** A double as OTLP JSON writes it (a number, a numeric string, `NaN`, `Infinity`); absent → null. */
function double(value: unknown, where: string): number | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number') return value
  if (typeof value === 'string') {
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value)
    if (value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value)
  }
  throw new OtlpError(`${where} must be a number`)
}

/** An enum as OTLP JSON writes it: its number, or its name (`SPAN_KIND_SERVER`); absent → null. */
function enumIndex(value: unknown, names: readonly string[], where: string): number | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string') {
    const i = names.indexOf(value)
    if (i >= 0) return i
  }
  throw new OtlpError(`${where} must be one of ${names.join(', ')} or its number`)
}

function optionalString(value: unknown, where: string): string | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string') throw new OtlpError(`${where} must be a string`)
  return value
}

/** One metric data point, decoded: its resource's attributes merged under its own. */
export interface OtlpMetricPoint {
  name: string
  unit: string | null
  kind: MetricKind
  temporality: 'delta' | 'cumulative' | null
  /** Epoch ms (`timeUnixNano`), or null. */
  timeMs: number | null
  /** Epoch ms (`startTimeUnixNano`), or null. */
  startMs: number | null
  /** A sum's or gauge's value (`asDouble` or `asInt`), a histogram's or summary's `sum`; null when absent. */
  value: number | null
  /** A histogram's or summary's `count`, else null. */
  count: number | null
  attributes: Record<string, OtlpValue>
}

const METRIC_KINDS: readonly (readonly [string, MetricKind])[] = [
  ['sum', 'sum'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
]
const TEMPORALITIES = [
  'AGGREGATION_TEMPORALITY_UNSPECIFIED',
  'AGGREGATION_TEMPORALITY_DELTA',
  'AGGREGATION_TEMPORALITY_CUMULATIVE',
] as const

function resourceAttributes(holder: Json, where: string): Record<string, OtlpValue> {
  return holder.resource === undefined || holder.resource === null
    ? {}
    : attributesOf(objectAt(holder.resource, `${where}.resource`), `${where}.resource`)
}

/** Decodes an `ExportMetricsServiceRequest` into data points; throws {@link OtlpError} when it is not one. */
export function decodeMetrics(message: unknown): OtlpMetricPoint[] {
  const root = objectAt(message, 'the request')
  const points: OtlpMetricPoint[] = []
  arrayAt(root, 'resourceMetrics', 'request').forEach((rm, i) => {
    const where = `resourceMetrics[${i}]`
    const resourceMetrics = objectAt(rm, where)
    const resource = resourceAttributes(resourceMetrics, where)
    arrayAt(resourceMetrics, 'scopeMetrics', where).forEach((sm, j) => {
      const scopeWhere = `${where}.scopeMetrics[${j}]`
      arrayAt(objectAt(sm, scopeWhere), 'metrics', scopeWhere).forEach((m, k) => {
        const metricWhere = `${scopeWhere}.metrics[${k}]`
        const metric = objectAt(m, metricWhere)
        const name = optionalString(metric.name, `${metricWhere}.name`) ?? ''
        const unit = optionalString(metric.unit, `${metricWhere}.unit`)
        for (const [key, kind] of METRIC_KINDS) {
          const data = metric[key]
          if (data === undefined || data === null) continue
          const dataWhere = `${metricWhere}.${key}`
          const body = objectAt(data, dataWhere)
          const t = enumIndex(
            body.aggregationTemporality,
            TEMPORALITIES,
            `${dataWhere}.aggregationTemporality`,
          )
          const temporality = t === 1 ? 'delta' : t === 2 ? 'cumulative' : null
          arrayAt(body, 'dataPoints', dataWhere).forEach((dp, n) => {
            const pointWhere = `${dataWhere}.dataPoints[${n}]`
            const point = objectAt(dp, pointWhere)
            let value: number | null
            let count: number | null = null
            if (kind === 'sum' || kind === 'gauge') {
              value =
                point.asInt !== undefined && point.asInt !== null
                  ? int64(point.asInt, `${pointWhere}.asInt`)
                  : double(point.asDouble, `${pointWhere}.asDouble`)
            } else {
              value = double(point.sum, `${pointWhere}.sum`)
              count =
                point.count === undefined || point.count === null
                  ? null
                  : int64(point.count, `${pointWhere}.count`)
            }
            points.push({
              name,
              unit,
              kind,
              temporality: kind === 'gauge' || kind === 'summary' ? null : temporality,
              timeMs: unixNanoToMs(point.timeUnixNano, `${pointWhere}.timeUnixNano`),
              startMs: unixNanoToMs(point.startTimeUnixNano, `${pointWhere}.startTimeUnixNano`),
              value,
              count,
              attributes: { ...resource, ...attributesOf(point, pointWhere) },
            })
          })
        }
      })
    })
  })
  return points
}

/** One span, decoded: its resource's attributes merged under its own; ids in lowercase hex. */
export interface OtlpSpan {
  /** Null when absent or not 16 bytes (hex, or base64 as the generic proto3 JSON mapping writes bytes). */
  traceId: string | null
  /** Null when absent or not 8 bytes. */
  spanId: string | null
  parentSpanId: string | null
  name: string
  kind: string | null
  startMs: number | null
  endMs: number | null
  statusCode: string | null
  statusMessage: string | null
  attributes: Record<string, OtlpValue>
}

const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
] as const
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const

/** A trace or span id (`bytes` of that length) as lowercase hex; null when absent, empty or malformed. */
function spanId(value: unknown, bytes: number, where: string): string | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string') throw new OtlpError(`${where} must be a string`)
  if (value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) {
    const hex = value.toLowerCase()
    return /^0+$/.test(hex) ? null : hex
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    const decoded = Buffer.from(value, 'base64')
    if (decoded.length === bytes) return decoded.toString('hex')
  }
  return null
}

/** Decodes an `ExportTraceServiceRequest` into spans; throws {@link OtlpError} when it is not one. */
export function decodeSpans(message: unknown): OtlpSpan[] {
  const root = objectAt(message, 'the request')
  const spans: OtlpSpan[] = []
  arrayAt(root, 'resourceSpans', 'request').forEach((rs, i) => {
    const where = `resourceSpans[${i}]`
    const resourceSpans = objectAt(rs, where)
    const resource = resourceAttributes(resourceSpans, where)
    arrayAt(resourceSpans, 'scopeSpans', where).forEach((ss, j) => {
      const scopeWhere = `${where}.scopeSpans[${j}]`
      arrayAt(objectAt(ss, scopeWhere), 'spans', scopeWhere).forEach((sp, k) => {
        const spanWhere = `${scopeWhere}.spans[${k}]`
        const span = objectAt(sp, spanWhere)
        const kind = enumIndex(span.kind, SPAN_KINDS, `${spanWhere}.kind`)
        const status =
          span.status === undefined || span.status === null
            ? {}
            : objectAt(span.status, `${spanWhere}.status`)
        const code = enumIndex(status.code, STATUS_CODES, `${spanWhere}.status.code`)
        spans.push({
          traceId: spanId(span.traceId, 16, `${spanWhere}.traceId`),
          spanId: spanId(span.spanId, 8, `${spanWhere}.spanId`),
          parentSpanId: spanId(span.parentSpanId, 8, `${spanWhere}.parentSpanId`),
          name: optionalString(span.name, `${spanWhere}.name`) ?? '',
          kind:
            kind === null
              ? null
              : (SPAN_KINDS[kind]?.slice('SPAN_KIND_'.length).toLowerCase() ?? String(kind)),
          startMs: unixNanoToMs(span.startTimeUnixNano, `${spanWhere}.startTimeUnixNano`),
          endMs: unixNanoToMs(span.endTimeUnixNano, `${spanWhere}.endTimeUnixNano`),
          statusCode:
            code === null
              ? null
              : (STATUS_CODES[code]?.slice('STATUS_CODE_'.length).toLowerCase() ?? String(code)),
          statusMessage: optionalString(status.message, `${spanWhere}.status.message`),
          attributes: { ...resource, ...attributesOf(span, spanWhere) },
        })
      })
    })
  })
  return spans
}

// ---------------------------------------------------------------------------------------------------------------
// The join

/** A number from a telemetry value that may be a string (`"40"`, `"0.0123"`). */
function numeric(value: OtlpValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

function text(value: OtlpValue | undefined): string | null {
  if (typeof value === 'string') return value === '' ? null : value
  if (typeof value === 'number') return String(value)
  return null
}

/** Whether a record is Claude Code's `api_request` event. */
export function isApiRequest(record: OtlpLogRecord): boolean {
  return (
    record.body === 'claude_code.api_request' ||
    record.attributes['event.name'] === 'api_request' ||
    record.attributes['event.name'] === 'claude_code.api_request'
  )
}

/**
 * The `api_requests` row of an `api_request` event, or a reason it cannot be used. `now` stands in for a record
 * without a time.
 */
export function apiRequestRow(record: OtlpLogRecord, now: number): ApiRequestRow | string {
  const a = record.attributes
  const sessionId = text(a['session.id'])
  if (sessionId === null) return 'an api_request without session.id'
  const tokens = (key: string): number => Math.max(0, Math.round(numeric(a[key]) ?? 0))
  return {
    ts: record.timeMs ?? now,
    session_id: sessionId,
    prompt_id: text(a['prompt.id']),
    model: text(a.model),
    cost_usd: numeric(a.cost_usd) ?? 0,
    input_tokens: tokens('input_tokens'),
    output_tokens: tokens('output_tokens'),
    cache_read_tokens: tokens('cache_read_tokens'),
    cache_creation_tokens: tokens('cache_creation_tokens'),
    duration_ms: numeric(a.duration_ms) ?? null,
  }
}

/** Attributes as the JSON text the store keeps: bytes as base64, NaN and ±Infinity as strings. */
export function attributesJson(attributes: Record<string, OtlpValue>): string {
  return JSON.stringify(attributes, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
    return value
  })
}

const PREFIX = 'claude_code.'

/** A record's event name without `claude_code.`: `event.name`, else a `claude_code.*` body, else `log`. */
export function eventName(record: OtlpLogRecord): string {
  const named =
    text(record.attributes['event.name']) ??
    (typeof record.body === 'string' && record.body.startsWith(PREFIX) ? record.body : 'log')
  return named.startsWith(PREFIX) ? named.slice(PREFIX.length) : named
}

/** The `telemetry_events` row of a record that is not an `api_request`. */
export function telemetryEventRow(record: OtlpLogRecord, now: number): TelemetryEventRow {
  const a = record.attributes
  return {
    ts: record.timeMs ?? now,
    session_id: text(a['session.id']),
    prompt_id: text(a['prompt.id']),
    name: eventName(record),
    tool_use_id: text(a.tool_use_id) ?? text(a['tool_use.id']),
    attributes: attributesJson(a),
  }
}

/** The `telemetry_metrics` row of a data point. */
export function metricPointRow(point: OtlpMetricPoint, now: number): MetricPointRow {
  return {
    ts: point.timeMs ?? now,
    start_ts: point.startMs,
    name: point.name,
    unit: point.unit,
    kind: point.kind,
    temporality: point.temporality,
    session_id: text(point.attributes['session.id']),
    value: point.value !== null && Number.isFinite(point.value) ? point.value : null,
    count: point.count,
    attributes: attributesJson(point.attributes),
  }
}

/**
 * The `telemetry_spans` rows of a request's spans, and how many could not be used (no valid trace or span id).
 * A span without `session.id` takes the one another span of its trace names.
 */
export function spanRows(
  spans: readonly OtlpSpan[],
  now: number,
): { rows: SpanRow[]; rejected: number } {
  const sessions = new Map<string, string>()
  for (const span of spans) {
    const session = text(span.attributes['session.id'])
    if (span.traceId !== null && session !== null && !sessions.has(span.traceId)) {
      sessions.set(span.traceId, session)
    }
  }
  const rows: SpanRow[] = []
  let rejected = 0
  for (const span of spans) {
    if (span.traceId === null || span.spanId === null) {
      rejected++
      continue
    }
    rows.push({
      trace_id: span.traceId,
      span_id: span.spanId,
      parent_span_id: span.parentSpanId,
      name: span.name,
      kind: span.kind,
      start_ms: span.startMs ?? span.endMs ?? now,
      end_ms: span.endMs,
      status_code: span.statusCode,
      status_message: span.statusMessage,
      session_id: text(span.attributes['session.id']) ?? sessions.get(span.traceId) ?? null,
      attributes: attributesJson(span.attributes),
    })
  }
  return { rows, rejected }
}

// ---------------------------------------------------------------------------------------------------------------
// The routes

export interface OtlpOptions {
  /** Where the telemetry is kept; without one, every item is rejected (partial success). */
  store: Store | undefined
  /** Largest body, compressed and inflated (413 beyond). */
  maxBodySize: number
  now?: () => number
  /**
   * Hook events forwarded by another observatory (otlp/observatory-records.ts): handed every decoded record of a
   * /v1/logs request first, it ingests those it recognizes and returns the others, processed as telemetry.
   */
  forward?: ((records: OtlpLogRecord[]) => Promise<OtlpLogRecord[]>) | undefined
}

/** Counters for /stats. */
export interface OtlpCounters {
  requests: number
  /** Log records received (kept or not). */
  logRecords: number
  /** `api_request` records kept. */
  apiRequests: number
  /** Other log records kept (`telemetry_events`). */
  telemetryEvents: number
  /** Metric data points kept. */
  metricPoints: number
  /** Spans kept. */
  spans: number
  /** Items rejected with a partial success: log records, data points and spans. */
  rejected: number
  malformed: number
}

const NO_STORE = 'this observatory has no store (--no-db): telemetry is not kept'

function status(c: Context, httpStatus: number, code: number, message: string): Response {
  return c.json({ code, message }, httpStatus)
}

/**
 * Reads, inflates and parses the body (OTLP JSON, or protobuf decoded into the same JSON form), or the error
 * response to send.
 */
async function readMessage(
  c: Context,
  signal: OtlpSignal,
  maxBodySize: number,
  counters: OtlpCounters,
): Promise<{ message: unknown } | { response: Response }> {
  const type = (c.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json' && type !== 'application/x-protobuf') {
    const hint = `unsupported content type '${type}'; send application/x-protobuf or application/json (OTLP)`
    return { response: status(c, 415, 3, hint) }
  }
  // A body past the limit (413) or broken (400) is answered by the framework, as for a hook.
  let body = await c.req.body(maxBodySize)
  const encoding = (c.header('content-encoding') ?? 'identity').trim().toLowerCase()
  if (encoding === 'gzip') {
    try {
      body = gunzipSync(body, { maxOutputLength: maxBodySize })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return {
          response: status(c, 413, 8, `the inflated body is larger than ${maxBodySize} bytes`),
        }
      }
      counters.malformed++
      return { response: status(c, 400, 3, 'the body is not valid gzip') }
    }
  } else if (encoding !== 'identity' && encoding !== '') {
    return { response: status(c, 415, 3, `unsupported content encoding '${encoding}'`) }
  }
  if (type === 'application/x-protobuf') {
    try {
      return { message: decodeProtobuf(signal, body) }
    } catch (error) {
      if (!(error instanceof OtlpError)) throw error
      counters.malformed++
      return { response: status(c, 400, 3, error.message) }
    }
  }
  let message: unknown
  try {
    message = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch (error) {
    const why = error instanceof SyntaxError ? error.message : 'the body is not UTF-8'
    counters.malformed++
    return { response: status(c, 400, 3, `the body is not JSON: ${why}`) }
  }
  return { message }
}

/** Registers `POST /v1/logs`, `/v1/metrics` and `/v1/traces` on `app`; returns their counters. */
export function registerOtlp(app: App, options: OtlpOptions): OtlpCounters {
  const { store, maxBodySize } = options
  const now = options.now ?? Date.now
  const counters: OtlpCounters = {
    requests: 0,
    logRecords: 0,
    apiRequests: 0,
    telemetryEvents: 0,
    metricPoints: 0,
    spans: 0,
    rejected: 0,
    malformed: 0,
  }
  const malformed = (c: Context, error: unknown): Response => {
    if (!(error instanceof OtlpError)) throw error
    counters.malformed++
    return status(c, 400, 3, error.message)
  }

  app.post(
    '/v1/logs',
    async (c) => {
      counters.requests++
      const read = await readMessage(c, 'logs', maxBodySize, counters)
      if ('response' in read) return read.response
      let records: OtlpLogRecord[]
      try {
        records = decodeLogs(read.message)
      } catch (error) {
        return malformed(c, error)
      }
      counters.logRecords += records.length
      if (options.forward !== undefined) records = await options.forward(records)
      if (store === undefined) {
        counters.rejected += records.length
        return records.length === 0
          ? c.json({})
          : c.json({
              partialSuccess: {
                rejectedLogRecords: records.length,
                errorMessage: NO_STORE,
              },
            })
      }
      const at = now()
      const rows: ApiRequestRow[] = []
      const events: TelemetryEventRow[] = []
      let rejected = 0
      let reason = ''
      for (const record of records) {
        if (!isApiRequest(record)) {
          events.push(telemetryEventRow(record, at))
          continue
        }
        const row = apiRequestRow(record, at)
        if (typeof row === 'string') {
          rejected++
          reason = row
        } else {
          rows.push(row)
        }
      }
      // Both queued in this turn: one group commit.
      const committed: Promise<void>[] = []
      if (rows.length > 0) committed.push(store.putApiRequests(rows))
      if (events.length > 0) committed.push(store.putTelemetry({ events }))
      await Promise.all(committed)
      counters.apiRequests += rows.length
      counters.telemetryEvents += events.length
      counters.rejected += rejected
      if (rejected === 0) return c.json({})
      return c.json({ partialSuccess: { rejectedLogRecords: rejected, errorMessage: reason } })
    },
    {
      summary: "Receive OTLP logs (JSON): Claude Code's telemetry events",
      tags: ['otlp'],
    },
  )

  app.post(
    '/v1/metrics',
    async (c) => {
      counters.requests++
      const read = await readMessage(c, 'metrics', maxBodySize, counters)
      if ('response' in read) return read.response
      let points: OtlpMetricPoint[]
      try {
        points = decodeMetrics(read.message)
      } catch (error) {
        return malformed(c, error)
      }
      if (points.length === 0) return c.json({})
      if (store === undefined) {
        counters.rejected += points.length
        return c.json({
          partialSuccess: { rejectedDataPoints: points.length, errorMessage: NO_STORE },
        })
      }
      const at = now()
      await store.putTelemetry({ metricPoints: points.map((point) => metricPointRow(point, at)) })
      counters.metricPoints += points.length
      return c.json({})
    },
    {
      summary: "Receive OTLP metrics (JSON): Claude Code's data points (tokens, cost, sessions…)",
      tags: ['otlp'],
    },
  )

  app.post(
    '/v1/traces',
    async (c) => {
      counters.requests++
      const read = await readMessage(c, 'traces', maxBodySize, counters)
      if ('response' in read) return read.response
      let spans: OtlpSpan[]
      try {
        spans = decodeSpans(read.message)
      } catch (error) {
        return malformed(c, error)
      }
      if (spans.length === 0) return c.json({})
      if (store === undefined) {
        counters.rejected += spans.length
        return c.json({ partialSuccess: { rejectedSpans: spans.length, errorMessage: NO_STORE } })
      }
      const { rows, rejected } = spanRows(spans, now())
      if (rows.length > 0) await store.putTelemetry({ spans: rows })
      counters.spans += rows.length
      counters.rejected += rejected
      if (rejected === 0) return c.json({})
      return c.json({
        partialSuccess: {
          rejectedSpans: rejected,
          errorMessage: 'a span without a valid traceId and spanId (16 and 8 bytes, hex)',
        },
      })
    },
    {
      summary:
        "Receive OTLP traces (JSON): Claude Code's spans (interactions, LLM requests, tools)",
      tags: ['otlp'],
    },
  )

  return counters
}
