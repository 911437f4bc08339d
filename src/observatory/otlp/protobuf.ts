/**
 * OTLP/HTTP protobuf request decoding (`application/x-protobuf`, the `http/protobuf` exporter protocol).
 *
 * {@link decodeProtobuf} turns an `ExportLogsServiceRequest`, `ExportMetricsServiceRequest` or
 * `ExportTraceServiceRequest` (opentelemetry-proto v1) into the very object that the OTLP JSON encoding of the
 * same message gives after `JSON.parse` (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding), so
 * one decoder serves both encodings:
 *
 *   - lowerCamelCase field names; fields at their default value (proto3 implicit presence) are omitted, while a
 *     oneof member (`stringValue: ""`, `asInt: "0"`) or a proto3 `optional` field (`sum: 0`) that is set is kept
 *   - `traceId`, `spanId` and `parentSpanId` as lowercase hex (the OTLP exception); other bytes as base64
 *   - 64-bit integers (fixed64 times and counts, int64 `intValue`, sfixed64 `asInt`) as decimal strings; enums
 *     as integers; NaN and ±Infinity as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`
 *
 * Unknown fields are skipped (forward compatibility). A body that is not such a message throws
 * {@link OtlpProtobufError}: truncated, a wire type that does not match a known field, a string that is not
 * UTF-8, messages nested deeper than 100 levels (protobufjs's limit, protoc's default), `AnyValue`s nested
 * deeper than 64 levels. (An `AnyValue` array nests two messages a level, so the first limit comes first: a
 * log body of nested arrays can be 49 levels deep at most, of nested kvlists 33.)
 *
 * The schema below is written from the opentelemetry-proto definitions (v1.x: common, resource, logs, metrics,
 * trace and the collector requests) and decoded with protobufjs's reflection.
 */
import protobuf from 'protobufjs'
import { OtlpProtobufError } from './errors.ts'

/** Which request: `logs` (`/v1/logs`), `metrics` (`/v1/metrics`) or `traces` (`/v1/traces`). */
export type OtlpSignal = 'logs' | 'metrics' | 'traces'

/** `AnyValue`s nested deeper than this are refused. */
export const MAX_ANY_VALUE_DEPTH = 64

const COMMON = `
syntax = "proto3";
package opentelemetry.proto.common.v1;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
    int32 string_value_strindex = 8;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
  int32 key_strindex = 3;
}
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message EntityRef {
  string schema_url = 1;
  string type = 2;
  repeated string id_keys = 3;
  repeated string description_keys = 4;
}
`

const RESOURCE = `
syntax = "proto3";
package opentelemetry.proto.resource.v1;

message Resource {
  repeated .opentelemetry.proto.common.v1.KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
  repeated .opentelemetry.proto.common.v1.EntityRef entity_refs = 3;
}
`

const LOGS = `
syntax = "proto3";
package opentelemetry.proto.logs.v1;

message ResourceLogs {
  .opentelemetry.proto.resource.v1.Resource resource = 1;
  repeated ScopeLogs scope_logs = 2;
  string schema_url = 3;
}
message ScopeLogs {
  .opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated LogRecord log_records = 2;
  string schema_url = 3;
}
enum SeverityNumber { SEVERITY_NUMBER_UNSPECIFIED = 0; }
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  SeverityNumber severity_number = 2;
  string severity_text = 3;
  .opentelemetry.proto.common.v1.AnyValue body = 5;
  repeated .opentelemetry.proto.common.v1.KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
`

const METRICS = `
syntax = "proto3";
package opentelemetry.proto.metrics.v1;

message ResourceMetrics {
  .opentelemetry.proto.resource.v1.Resource resource = 1;
  repeated ScopeMetrics scope_metrics = 2;
  string schema_url = 3;
}
message ScopeMetrics {
  .opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated Metric metrics = 2;
  string schema_url = 3;
}
message Metric {
  string name = 1;
  string description = 2;
  string unit = 3;
  oneof data {
    Gauge gauge = 5;
    Sum sum = 7;
    Histogram histogram = 9;
    ExponentialHistogram exponential_histogram = 10;
    Summary summary = 11;
  }
  repeated .opentelemetry.proto.common.v1.KeyValue metadata = 12;
}
enum AggregationTemporality { AGGREGATION_TEMPORALITY_UNSPECIFIED = 0; }
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum {
  repeated NumberDataPoint data_points = 1;
  AggregationTemporality aggregation_temporality = 2;
  bool is_monotonic = 3;
}
message Histogram {
  repeated HistogramDataPoint data_points = 1;
  AggregationTemporality aggregation_temporality = 2;
}
message ExponentialHistogram {
  repeated ExponentialHistogramDataPoint data_points = 1;
  AggregationTemporality aggregation_temporality = 2;
}
message Summary { repeated SummaryDataPoint data_points = 1; }
message NumberDataPoint {
  repeated .opentelemetry.proto.common.v1.KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  oneof value {
    double as_double = 4;
    sfixed64 as_int = 6;
  }
  repeated Exemplar exemplars = 5;
  uint32 flags = 8;
}
message HistogramDataPoint {
  repeated .opentelemetry.proto.common.v1.KeyValue attributes = 9;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  repeated fixed64 bucket_counts = 6;
  repeated double explicit_bounds = 7;
  repeated Exemplar exemplars = 8;
  uint32 flags = 10;
  optional double min = 11;
  optional double max = 12;
}
message ExponentialHistogramDataPoint {
  repeated .opentelemetry.proto.common.v1.KeyValue attributes = 1;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  sint32 scale = 6;
  fixed64 zero_count = 7;
  Buckets positive = 8;
  Buckets negative = 9;
  message Buckets {
    sint32 offset = 1;
    repeated uint64 bucket_counts = 2;
  }
  uint32 flags = 10;
  repeated Exemplar exemplars = 11;
  optional double min = 12;
  optional double max = 13;
  double zero_threshold = 14;
}
message SummaryDataPoint {
  repeated .opentelemetry.proto.common.v1.KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  double sum = 5;
  message ValueAtQuantile {
    double quantile = 1;
    double value = 2;
  }
  repeated ValueAtQuantile quantile_values = 6;
  uint32 flags = 8;
}
message Exemplar {
  repeated .opentelemetry.proto.common.v1.KeyValue filtered_attributes = 7;
  fixed64 time_unix_nano = 2;
  oneof value {
    double as_double = 3;
    sfixed64 as_int = 6;
  }
  bytes span_id = 4;
  bytes trace_id = 5;
}
`

const TRACE = `
syntax = "proto3";
package opentelemetry.proto.trace.v1;

message ResourceSpans {
  .opentelemetry.proto.resource.v1.Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
  string schema_url = 3;
}
message ScopeSpans {
  .opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated Span spans = 2;
  string schema_url = 3;
}
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;
  enum SpanKind { SPAN_KIND_UNSPECIFIED = 0; }
  SpanKind kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated .opentelemetry.proto.common.v1.KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  message Event {
    fixed64 time_unix_nano = 1;
    string name = 2;
    repeated .opentelemetry.proto.common.v1.KeyValue attributes = 3;
    uint32 dropped_attributes_count = 4;
  }
  repeated Event events = 11;
  uint32 dropped_events_count = 12;
  message Link {
    bytes trace_id = 1;
    bytes span_id = 2;
    string trace_state = 3;
    repeated .opentelemetry.proto.common.v1.KeyValue attributes = 4;
    uint32 dropped_attributes_count = 5;
    fixed32 flags = 6;
  }
  repeated Link links = 13;
  uint32 dropped_links_count = 14;
  Status status = 15;
}
message Status {
  string message = 2;
  enum StatusCode { STATUS_CODE_UNSET = 0; }
  StatusCode code = 3;
}
`

const COLLECTOR = `
syntax = "proto3";
package opentelemetry.proto.collector;

message ExportLogsServiceRequest {
  repeated .opentelemetry.proto.logs.v1.ResourceLogs resource_logs = 1;
}
message ExportMetricsServiceRequest {
  repeated .opentelemetry.proto.metrics.v1.ResourceMetrics resource_metrics = 1;
}
message ExportTraceServiceRequest {
  repeated .opentelemetry.proto.trace.v1.ResourceSpans resource_spans = 1;
}
`
// Enums are open in proto3 and written as integers in OTLP JSON, so only their zero value is declared: any
// other number decodes as itself. (The collector requests really live in collector.{logs,metrics,trace}.v1;
// the package only names the types here, it is not on the wire.)

const root = new protobuf.Root()
for (const source of [COMMON, RESOURCE, LOGS, METRICS, TRACE, COLLECTOR]) {
  protobuf.parse(source, root, { keepCase: false })
}
root.resolveAll()

const REQUESTS: Record<OtlpSignal, protobuf.Type> = {
  logs: root.lookupType('opentelemetry.proto.collector.ExportLogsServiceRequest'),
  metrics: root.lookupType('opentelemetry.proto.collector.ExportMetricsServiceRequest'),
  traces: root.lookupType('opentelemetry.proto.collector.ExportTraceServiceRequest'),
}
const ANY_VALUE = root.lookupType('opentelemetry.proto.common.v1.AnyValue')

/** Bytes fields that OTLP JSON writes as hex instead of base64. */
const HEX_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId'])

const CONVERSION: protobuf.IConversionOptions = {
  longs: String,
  enums: Number,
  json: true, // non-finite doubles as "NaN", "Infinity", "-Infinity"
  // bytes stay Uint8Array here; `finish` writes them as hex or base64
}

/** The message-typed fields of each type, for {@link check}. */
const messageFields = new Map<protobuf.Type, protobuf.Field[]>()
function messageFieldsOf(type: protobuf.Type): protobuf.Field[] {
  let fields = messageFields.get(type)
  if (fields === undefined) {
    fields = type.fieldsArray.filter((f) => f.resolvedType instanceof protobuf.Type)
    messageFields.set(type, fields)
  }
  return fields
}

const WIRE_TYPES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32']

/** The field number and wire type of a raw field (its leading tag varint). */
function tagOf(raw: Uint8Array): { field: number; wireType: number } {
  let tag = 0
  let scale = 1
  for (let i = 0; i < raw.length && i < 5; i++) {
    const byte = raw[i]!
    tag += (byte & 0x7f) * scale
    scale *= 128
    if ((byte & 0x80) === 0) break
  }
  return { field: Math.floor(tag / 8), wireType: tag % 8 }
}

/**
 * Walks a decoded message: protobufjs keeps a field whose wire type does not match its declaration as an
 * unknown field, and such a field is refused here; `AnyValue` nesting is bounded.
 */
function check(type: protobuf.Type, message: protobuf.Message, anyDepth: number, where: string) {
  if (type === ANY_VALUE && ++anyDepth > MAX_ANY_VALUE_DEPTH) {
    throw new OtlpProtobufError(
      `${where}: AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`,
    )
  }
  const unknowns = message.$unknowns
  if (unknowns !== undefined) {
    for (const raw of unknowns) {
      const { field, wireType } = tagOf(raw)
      const declared = type.fieldsById[field]
      if (declared !== undefined) {
        throw new OtlpProtobufError(
          `${where}.${declared.name} (field ${field}) has the wrong wire type (${WIRE_TYPES[wireType] ?? wireType})`,
        )
      }
    }
  }
  const fields = messageFieldsOf(type)
  if (fields.length === 0) return
  const members = message as unknown as Record<string, unknown>
  for (const field of fields) {
    const value = members[field.name]
    if (value === undefined || value === null) continue
    const fieldType = field.resolvedType as protobuf.Type
    if (Array.isArray(value)) {
      value.forEach((item: protobuf.Message, i) => {
        check(fieldType, item, anyDepth, `${where}.${field.name}[${i}]`)
      })
    } else {
      check(fieldType, value as protobuf.Message, anyDepth, `${where}.${field.name}`)
    }
  }
}

/** Writes the bytes of a `toObject` result as OTLP JSON does: ids in hex, the rest in base64. */
function finish(value: unknown, key: string): unknown {
  if (value instanceof Uint8Array) {
    const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    return buffer.toString(HEX_FIELDS.has(key) ? 'hex' : 'base64')
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = finish(value[i], key)
    return value
  }
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>
    for (const k of Object.keys(object)) object[k] = finish(object[k], k)
  }
  return value
}

/** The reason of an error thrown by protobufjs, for the 400 message. */
function reason(error: unknown): string {
  if (error instanceof TypeError && /encod|decod/i.test(error.message))
    return 'a string is not UTF-8'
  return error instanceof Error ? error.message : String(error)
}

/**
 * Decodes an OTLP/HTTP protobuf request body into its OTLP JSON form (see the module comment); throws
 * {@link OtlpProtobufError} when the body is not such a message. An empty body is an empty request (`{}`).
 */
export function decodeProtobuf(kind: OtlpSignal, body: Uint8Array): unknown {
  const type = REQUESTS[kind]
  let message: protobuf.Message
  try {
    // A plain Reader (not protobufjs's BufferReader) and unknown fields kept, for `check`.
    const reader = new protobuf.Reader(body)
    reader.discardUnknown = false
    message = type.decode(reader)
  } catch (error) {
    throw new OtlpProtobufError(`the body is not an OTLP protobuf ${type.name}: ${reason(error)}`)
  }
  check(type, message, 0, type.name)
  return finish(type.toObject(message, CONVERSION), '')
}
