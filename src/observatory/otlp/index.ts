/**
 * The OTLP/HTTP receiver: Claude Code's own telemetry (OpenTelemetry logs and metrics), joined with the hook
 * sessions.
 *
 *   POST /v1/logs      OTLP JSON (`application/json`, optionally gzip): `claude_code.api_request` events are kept
 *                      (store table `api_requests`: cost, tokens, duration per session and turn); other events
 *                      are accepted and not kept
 *   POST /v1/metrics   OTLP JSON: checked and accepted, not kept (the logs carry the same cost and tokens, per
 *                      request and per turn)
 *   POST /v1/traces    OTLP JSON: checked, and answered with a partial success rejecting every span (not kept)
 *
 * The OTLP JSON encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): lowerCamelCase
 * keys, 64-bit integers as JSON strings or numbers, `anyValue` as a one-key object (`stringValue`, `intValue`,
 * `doubleValue`, `boolValue`, `arrayValue`, `kvlistValue`, `bytesValue`). An empty request (`{}`) is valid.
 * A body that is not such a message gets 400 with a `google.rpc.Status`-like body (`{"code":3,"message":…}`),
 * another content type (protobuf included) 415, a gzip body inflating past the body limit 413. Success is 200
 * with `{}`, or `{"partialSuccess":{"rejectedLogRecords":N,"errorMessage":…}}` for records that could not be
 * used (an `api_request` without `session.id`, or any record when there is no store).
 */
import { gunzipSync } from 'node:zlib'
import type { App, Context } from '../../framework/index.ts'
import type { Response } from '../../transport/index.ts'
import type { ApiRequestRow, Store } from '../store/store.ts'

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

/** A request that is not an OTLP JSON message: answered 400. */
export class OtlpError extends Error {
  override name = 'OtlpError'
}

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
    if (typeof kv.key !== 'string') throw new OtlpError(`${where}[${i}].key must be a string`)
    result[kv.key] = decodeAnyValue(kv.value, `${where}[${i}].value`)
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

// ---------------------------------------------------------------------------------------------------------------
// The routes

export interface OtlpOptions {
  /** Where the API requests are kept; without one, every record is rejected (partial success). */
  store: Store | undefined
  /** Largest body, compressed and inflated (413 beyond). */
  maxBodySize: number
  now?: () => number
}

/** Counters for /stats. */
export interface OtlpCounters {
  requests: number
  logRecords: number
  apiRequests: number
  rejected: number
  malformed: number
}

function status(c: Context, httpStatus: number, code: number, message: string): Response {
  return c.json({ code, message }, httpStatus)
}

/** Reads, inflates and parses the body, or the error response to send. */
async function readMessage(
  c: Context,
  maxBodySize: number,
  counters: OtlpCounters,
): Promise<{ message: unknown } | { response: Response }> {
  const type = (c.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') {
    const hint =
      type === 'application/x-protobuf'
        ? 'OTLP protobuf is not supported here; set OTEL_EXPORTER_OTLP_PROTOCOL=http/json'
        : `unsupported content type '${type}'; send application/json (OTLP JSON)`
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
      const read = await readMessage(c, maxBodySize, counters)
      if ('response' in read) return read.response
      let records: OtlpLogRecord[]
      try {
        records = decodeLogs(read.message)
      } catch (error) {
        return malformed(c, error)
      }
      counters.logRecords += records.length
      if (store === undefined) {
        counters.rejected += records.length
        return records.length === 0
          ? c.json({})
          : c.json({
              partialSuccess: {
                rejectedLogRecords: records.length,
                errorMessage: 'this observatory has no store (--no-db): telemetry is not kept',
              },
            })
      }
      const at = now()
      const rows: ApiRequestRow[] = []
      let rejected = 0
      let reason = ''
      for (const record of records) {
        if (!isApiRequest(record)) continue
        const row = apiRequestRow(record, at)
        if (typeof row === 'string') {
          rejected++
          reason = row
        } else {
          rows.push(row)
        }
      }
      if (rows.length > 0) {
        await store.putApiRequests(rows)
        counters.apiRequests += rows.length
      }
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
      const read = await readMessage(c, maxBodySize, counters)
      if ('response' in read) return read.response
      try {
        countItems(read.message, 'metrics')
      } catch (error) {
        return malformed(c, error)
      }
      return c.json({})
    },
    { summary: 'Receive OTLP metrics (JSON): checked, not kept', tags: ['otlp'] },
  )

  app.post(
    '/v1/traces',
    async (c) => {
      counters.requests++
      const read = await readMessage(c, maxBodySize, counters)
      if ('response' in read) return read.response
      let spans: number
      try {
        spans = countItems(read.message, 'traces').items
      } catch (error) {
        return malformed(c, error)
      }
      if (spans === 0) return c.json({})
      return c.json({
        partialSuccess: {
          rejectedSpans: spans,
          errorMessage: 'this observatory does not keep spans',
        },
      })
    },
    { summary: 'Receive OTLP traces (JSON): spans are not kept', tags: ['otlp'] },
  )

  return counters
}
