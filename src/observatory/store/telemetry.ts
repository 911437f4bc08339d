/**
 * Claude Code's telemetry beyond `api_request` (schema v6), as the store keeps it:
 *
 *   telemetry_events   every OTLP log record that is not an `api_request` (`tool_result`, `user_prompt`,
 *                      `api_error`, `tool_decision`…): its name without `claude_code.`, session, turn, call
 *                      (`tool_use_id`) and attributes (JSON)
 *   telemetry_metrics  one row per metric data point: sum and gauge points their value; histograms, exponential
 *                      histograms and summaries their sum (`value`) and `count`
 *   telemetry_spans    one row per span (upserted by trace and span id: a span sent again replaces itself)
 *
 * The rows are queued by the receiver (otlp/index.ts) and written by the store's group commit (store.ts), never
 * one by one on the request path. Retention deletes them by time like the other tables.
 */
import type Database from 'better-sqlite3'

type DB = Database.Database
type Value = string | number | null

/** Migration v5 → v6: the three tables and their indexes. */
export function migrateTelemetryTables(db: DB): void {
  db.exec(`
    CREATE TABLE telemetry_events (
      id INTEGER PRIMARY KEY,
      ts INTEGER NOT NULL,
      session_id TEXT,
      prompt_id TEXT,
      name TEXT NOT NULL,
      tool_use_id TEXT,
      attributes TEXT NOT NULL
    );
    CREATE INDEX telemetry_events_session ON telemetry_events(session_id, id);
    CREATE INDEX telemetry_events_tool ON telemetry_events(tool_use_id) WHERE tool_use_id IS NOT NULL;
    CREATE INDEX telemetry_events_ts ON telemetry_events(ts);
    CREATE TABLE telemetry_metrics (
      id INTEGER PRIMARY KEY,
      ts INTEGER NOT NULL,
      start_ts INTEGER,
      name TEXT NOT NULL,
      unit TEXT,
      kind TEXT NOT NULL,
      temporality TEXT,
      session_id TEXT,
      value REAL,
      count INTEGER,
      attributes TEXT NOT NULL
    );
    CREATE INDEX telemetry_metrics_name ON telemetry_metrics(name, ts);
    CREATE INDEX telemetry_metrics_session ON telemetry_metrics(session_id, ts);
    CREATE INDEX telemetry_metrics_ts ON telemetry_metrics(ts);
    CREATE TABLE telemetry_spans (
      trace_id TEXT NOT NULL,
      span_id TEXT NOT NULL,
      parent_span_id TEXT,
      name TEXT NOT NULL,
      kind TEXT,
      start_ms INTEGER NOT NULL,
      end_ms INTEGER,
      status_code TEXT,
      status_message TEXT,
      session_id TEXT,
      attributes TEXT NOT NULL,
      PRIMARY KEY (trace_id, span_id)
    );
    CREATE INDEX telemetry_spans_session ON telemetry_spans(session_id, start_ms);
    CREATE INDEX telemetry_spans_start ON telemetry_spans(start_ms);
  `)
}

/** One telemetry log record that is not an `api_request` (`telemetry_events` table). */
export interface TelemetryEventRow {
  /** Epoch ms of the record (its time, else when it was received). */
  ts: number
  session_id: string | null
  prompt_id: string | null
  /** The event's name without the `claude_code.` prefix: `tool_result`, `user_prompt`, `api_error`… */
  name: string
  tool_use_id: string | null
  /** The record's attributes (its resource's merged under its own), a JSON object's text. */
  attributes: string
}

/** A stored telemetry event, its attributes parsed. */
export interface StoredTelemetryEvent extends Omit<TelemetryEventRow, 'attributes'> {
  id: number
  attributes: Record<string, unknown>
}

export type MetricKind = 'sum' | 'gauge' | 'histogram' | 'exponential_histogram' | 'summary'

/** One metric data point (`telemetry_metrics` table). */
export interface MetricPointRow {
  /** Epoch ms of the point (`timeUnixNano`, else when it was received). */
  ts: number
  /** Epoch ms of `startTimeUnixNano`, or null. */
  start_ts: number | null
  name: string
  unit: string | null
  kind: MetricKind
  /** `delta` or `cumulative` for sums and histograms, else null. */
  temporality: 'delta' | 'cumulative' | null
  session_id: string | null
  /** A sum's or gauge's value; a histogram's or summary's sum; null when the point has none. */
  value: number | null
  /** A histogram's or summary's count, else null. */
  count: number | null
  /** The point's attributes (its resource's merged under its own), a JSON object's text. */
  attributes: string
}

export interface StoredMetricPoint extends Omit<MetricPointRow, 'attributes'> {
  id: number
  attributes: Record<string, unknown>
}

/** One span (`telemetry_spans` table); ids in lowercase hex. */
export interface SpanRow {
  trace_id: string
  span_id: string
  parent_span_id: string | null
  name: string
  /** internal, server, client, producer, consumer, unspecified; null when not given. */
  kind: string | null
  start_ms: number
  end_ms: number | null
  /** unset, ok, error; null when not given. */
  status_code: string | null
  status_message: string | null
  session_id: string | null
  /** The span's attributes (its resource's merged under its own), a JSON object's text. */
  attributes: string
}

export interface StoredSpan extends Omit<SpanRow, 'attributes'> {
  attributes: Record<string, unknown>
}

/** How much telemetry names a session; `first_ts`/`last_ts`: its telemetry events' times (null for none). */
export interface TelemetryCounts {
  telemetry_events: number
  spans: number
  metric_points: number
  first_ts: number | null
  last_ts: number | null
}

/** What a group commit writes for the telemetry tables. */
export interface TelemetryBatch {
  telemetryEvents: TelemetryEventRow[]
  metricPoints: MetricPointRow[]
  spans: SpanRow[]
}

const EVENT_COLUMNS = 'id, ts, session_id, prompt_id, name, tool_use_id, attributes'
const METRIC_COLUMNS =
  'id, ts, start_ts, name, unit, kind, temporality, session_id, value, count, attributes'
const SPAN_COLUMNS =
  'trace_id, span_id, parent_span_id, name, kind, start_ms, end_ms, status_code, status_message, session_id, attributes'

type Raw<T> = Omit<T, 'attributes'> & { attributes: string }

type Statement<P extends unknown[] | object, R = unknown> = Database.Statement<P, R>
type Prune = Statement<{ before: number; limit: number }>

/** The telemetry tables' statements (named, so that the declaration file can name them). */
export interface TelemetryStatements {
  insertEvent: Statement<Value[]>
  insertMetric: Statement<Value[]>
  upsertSpan: Statement<Value[]>
  sessionEvents: Statement<[string, number, number], Raw<StoredTelemetryEvent>>
  toolResults: Statement<[string], { tool_use_id: string; attributes: string }>
  sessionSpans: Statement<[string, number], Raw<StoredSpan>>
  sessionMetrics: Statement<[string, number], Raw<StoredMetricPoint>>
  metricsByName: Statement<[string, number, number], Raw<StoredMetricPoint>>
  counts: Statement<{ session: string }, TelemetryCounts>
  prune: Prune[]
}

/** The telemetry tables' statements, prepared once. */
export function prepareTelemetry(db: DB): TelemetryStatements {
  return {
    insertEvent: db.prepare<Value[]>(
      `INSERT INTO telemetry_events(ts, session_id, prompt_id, name, tool_use_id, attributes)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    insertMetric: db.prepare<Value[]>(
      `INSERT INTO telemetry_metrics(ts, start_ts, name, unit, kind, temporality, session_id, value, count,
         attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    upsertSpan: db.prepare<Value[]>(
      `INSERT INTO telemetry_spans(${SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(trace_id, span_id) DO UPDATE SET parent_span_id = excluded.parent_span_id,
         name = excluded.name, kind = excluded.kind, start_ms = excluded.start_ms, end_ms = excluded.end_ms,
         status_code = excluded.status_code, status_message = excluded.status_message,
         session_id = coalesce(excluded.session_id, telemetry_spans.session_id),
         attributes = excluded.attributes`,
    ),
    sessionEvents: db.prepare<[string, number, number], Raw<StoredTelemetryEvent>>(
      `SELECT ${EVENT_COLUMNS} FROM telemetry_events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`,
    ),
    toolResults: db.prepare<[string], { tool_use_id: string; attributes: string }>(
      `SELECT tool_use_id, attributes FROM telemetry_events
       WHERE session_id = ? AND name = 'tool_result' AND tool_use_id IS NOT NULL ORDER BY id`,
    ),
    sessionSpans: db.prepare<[string, number], Raw<StoredSpan>>(
      `SELECT ${SPAN_COLUMNS} FROM telemetry_spans WHERE session_id = ? ORDER BY start_ms, rowid LIMIT ?`,
    ),
    sessionMetrics: db.prepare<[string, number], Raw<StoredMetricPoint>>(
      `SELECT ${METRIC_COLUMNS} FROM telemetry_metrics WHERE session_id = ? ORDER BY ts, id LIMIT ?`,
    ),
    metricsByName: db.prepare<[string, number, number], Raw<StoredMetricPoint>>(
      `SELECT ${METRIC_COLUMNS} FROM telemetry_metrics WHERE name = ? AND ts >= ? ORDER BY ts, id LIMIT ?`,
    ),
    counts: db.prepare<{ session: string }, TelemetryCounts>(
      `SELECT (SELECT count(*) FROM telemetry_events WHERE session_id = @session) AS telemetry_events,
         (SELECT min(ts) FROM telemetry_events WHERE session_id = @session) AS first_ts,
         (SELECT max(ts) FROM telemetry_events WHERE session_id = @session) AS last_ts,
         (SELECT count(*) FROM telemetry_spans WHERE session_id = @session) AS spans,
         (SELECT count(*) FROM telemetry_metrics WHERE session_id = @session) AS metric_points`,
    ),
    prune: [
      db.prepare<{ before: number; limit: number }>(
        `DELETE FROM telemetry_events WHERE rowid IN
           (SELECT rowid FROM telemetry_events WHERE ts < @before LIMIT @limit)`,
      ),
      db.prepare<{ before: number; limit: number }>(
        `DELETE FROM telemetry_metrics WHERE rowid IN
           (SELECT rowid FROM telemetry_metrics WHERE ts < @before LIMIT @limit)`,
      ),
      db.prepare<{ before: number; limit: number }>(
        `DELETE FROM telemetry_spans WHERE rowid IN
           (SELECT rowid FROM telemetry_spans WHERE start_ms < @before LIMIT @limit)`,
      ),
    ],
  }
}

/** Writes a batch's telemetry rows (inside the group commit's transaction). */
export function writeTelemetry(t: TelemetryStatements, batch: TelemetryBatch): void {
  for (const e of batch.telemetryEvents) {
    t.insertEvent.run(e.ts, e.session_id, e.prompt_id, e.name, e.tool_use_id, e.attributes)
  }
  for (const m of batch.metricPoints) {
    t.insertMetric.run(
      m.ts,
      m.start_ts,
      m.name,
      m.unit,
      m.kind,
      m.temporality,
      m.session_id,
      m.value,
      m.count,
      m.attributes,
    )
  }
  for (const s of batch.spans) {
    t.upsertSpan.run(
      s.trace_id,
      s.span_id,
      s.parent_span_id,
      s.name,
      s.kind,
      s.start_ms,
      s.end_ms,
      s.status_code,
      s.status_message,
      s.session_id,
      s.attributes,
    )
  }
}

/** A row with its attributes' JSON parsed. */
export function parsed<T extends { attributes: string }>(
  row: T,
): Omit<T, 'attributes'> & { attributes: Record<string, unknown> } {
  let attributes: Record<string, unknown> = {}
  try {
    const value: unknown = JSON.parse(row.attributes)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      attributes = value as Record<string, unknown>
    }
  } catch {
    // Written by the receiver as JSON: unreadable only if edited by hand.
  }
  return { ...row, attributes }
}
