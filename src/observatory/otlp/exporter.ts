/**
 * The OTLP exporter (`observatory serve --otlp-endpoint URL`): every hook event as an OTLP log record, every tool
 * call and every turn as a span, sent with the official OpenTelemetry JS SDK (OTLP/HTTP, JSON) to another
 * observatory, an OpenTelemetry Collector, or any OTLP/HTTP backend. docs/scale-out.md says what to do with them.
 *
 * It is a LOSSY sink of the event hub (server/hub.ts): `write()` only hands the record or span to the SDK's batch
 * processor and returns; nothing a hook waits for depends on the export. The processors batch, the exporter
 * retries (429, 502, 503, 504 and refused or reset connections, with backoff, within `timeoutMs` per request).
 *
 * The SDK's batch processors drop silently when their queue is full, so the counting is done here, exactly, per
 * signal:
 *
 *   accepted   records (spans) handed to the processor
 *   exported   reported exported by the exporter's result callback (the receiver answered 2xx)
 *   failed     reported failed by that callback: the export failed after its retries
 *   queueFull  refused because `maxQueue` records were already in flight (handed over, not yet reported)
 *   shutdown   still in flight when the flush at shutdown ran out of time, or written after the close began
 *   dropped    failed + queueFull + shutdown: every record lost
 *   queued     in flight now (handed over, no result yet)
 *
 * so that every record written is exactly one of exported, dropped or queued, at every moment. The
 * processor's own queue is never fuller than what is in flight here, and its capacity is `maxQueue`, so it never
 * drops anything behind our back.
 *
 * Spans: the session is the trace (trace id = sha256 of the session id), a turn is an `invoke_agent` span (span
 * id = sha256 of the prompt id; started by UserPromptSubmit, ended by Stop or StopFailure, or — interrupted — by
 * the next prompt or SessionEnd), a tool call is an `execute_tool` span (span id = sha256 of the tool_use_id; from
 * PreToolUse to PostToolUse, PostToolUseFailure or PermissionDenied) whose parent is its turn. A span is exported
 * when it ends; the calls and turns still open are remembered up to a bound.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { hostname } from 'node:os'
import {
  type Context,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api'
import { SeverityNumber } from '@opentelemetry/api-logs'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs'
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  type IdGenerator,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace'
import type { EventMeta, Sink } from '../server/hub.ts'
import {
  type LineFields,
  lineFields,
  OBSERVATORY_SERVICE,
  recordAttributes,
  sessionTraceId,
  toolSpanId,
  turnSpanId,
} from './observatory-records.ts'

/** How long the shutdown waits for what is in flight. */
export const DEFAULT_OTLP_FLUSH_MS = 5_000
/** Tool calls and turns remembered while open (their start is needed for the span). */
const MAX_OPEN = 10_000

export interface OtlpExportOptions {
  /** The base URL (as OTEL_EXPORTER_OTLP_ENDPOINT): `/v1/logs` and `/v1/traces` are appended. */
  endpoint: string
  /** Sent with every request (e.g. `Authorization: Bearer …`). */
  headers: Readonly<Record<string, string>>
  /** Most records in flight, and separately most spans (refused and counted beyond). */
  maxQueue: number
  /** One export request's time limit, retries included. */
  timeoutMs: number
  /** How long `close()` waits for what is in flight (default {@link DEFAULT_OTLP_FLUSH_MS}). */
  flushTimeoutMs?: number | undefined
  /** How long the processors wait to fill a batch (default 1000 ms). */
  batchDelayMs?: number | undefined
}

/** Exact counts for one signal (see the module comment). */
export interface SignalCounters {
  accepted: number
  exported: number
  failed: number
  queueFull: number
  shutdown: number
  dropped: number
  queued: number
  /** The bound on `queued`. */
  maxQueue: number
}

/** `otlpExport` in /stats. */
export interface OtlpExportCounters {
  endpoint: string
  instance: string
  logs: SignalCounters
  spans: SignalCounters
  /** Events received from another observatory: not exported again. */
  skippedForwarded: number
}

/** One signal's counts (see the module comment). */
class Ledger {
  /** Handed to the processor. */
  accepted = 0
  exported = 0
  failed = 0
  queueFull = 0
  /** In flight when close() gave up waiting. */
  abandoned = 0
  /** Written after the close began. */
  afterClose = 0
  /** Set once close() gave up on what was in flight: later results change nothing. */
  #frozen = false
  readonly maxQueue: number
  readonly #onResult: (ok: boolean, error: unknown) => void

  constructor(maxQueue: number, onResult: (ok: boolean, error: unknown) => void) {
    this.maxQueue = maxQueue
    this.#onResult = onResult
  }

  get queued(): number {
    return this.accepted - this.exported - this.failed - this.abandoned
  }

  /** Room for one more? Counts a refusal when there is none (or when closing). */
  admit(closed: boolean): boolean {
    if (closed) {
      this.afterClose++
      return false
    }
    if (this.queued >= this.maxQueue) {
      this.queueFull++
      return false
    }
    this.accepted++
    return true
  }

  /** Whatever is still in flight is lost (the flush at shutdown ran out of time). */
  abandon(): void {
    if (this.#frozen) return
    this.abandoned = this.queued
    this.#frozen = true
  }

  /** Counts one export's result. */
  settle(count: number, ok: boolean, error: unknown): void {
    if (this.#frozen) return
    if (ok) this.exported += count
    else this.failed += count
    this.#onResult(ok, error)
  }

  snapshot(): SignalCounters {
    const shutdown = this.abandoned + this.afterClose
    return {
      accepted: this.accepted,
      exported: this.exported,
      failed: this.failed,
      queueFull: this.queueFull,
      shutdown,
      dropped: this.failed + this.queueFull + shutdown,
      queued: this.queued,
      maxQueue: this.maxQueue,
    }
  }
}

type ResultCallback = Parameters<LogRecordExporter['export']>[1]

/** The log exporter, its results counted. */
class CountedLogExporter implements LogRecordExporter {
  readonly #inner: LogRecordExporter
  readonly #ledger: Ledger
  constructor(inner: LogRecordExporter, ledger: Ledger) {
    this.#inner = inner
    this.#ledger = ledger
  }
  export(records: ReadableLogRecord[], done: ResultCallback): void {
    this.#inner.export(records, once(records.length, this.#ledger, done))
  }
  shutdown(): Promise<void> {
    return this.#inner.shutdown()
  }
  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve()
  }
}

/** The span exporter, its results counted. */
class CountedSpanExporter implements SpanExporter {
  readonly #inner: SpanExporter
  readonly #ledger: Ledger
  constructor(inner: SpanExporter, ledger: Ledger) {
    this.#inner = inner
    this.#ledger = ledger
  }
  export(spans: ReadableSpan[], done: ResultCallback): void {
    this.#inner.export(spans, once(spans.length, this.#ledger, done))
  }
  shutdown(): Promise<void> {
    return this.#inner.shutdown()
  }
  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve()
  }
}

/** A result callback that counts the first result only (ExportResultCode.SUCCESS is 0). */
function once(count: number, ledger: Ledger, done: ResultCallback): ResultCallback {
  let settled = false
  return (result) => {
    if (!settled) {
      settled = true
      ledger.settle(count, result.code === 0, result.error)
    }
    done(result)
  }
}

/** Ids chosen by the caller for the next span: the SDK asks its IdGenerator, this one answers what it was told. */
class PresetIds implements IdGenerator {
  traceId = ''
  spanId = ''
  generateTraceId(): string {
    return this.traceId
  }
  generateSpanId(): string {
    return this.spanId
  }
}

interface OpenCall {
  start: number
  session: string | undefined
  turn: string | undefined
  promptId: string | undefined
  tool: string | undefined
}

interface OpenTurn {
  /** The key the span id is derived from: the prompt id, or `<session>#<event id>` without one. */
  key: string
  promptId: string | undefined
  start: number
}

export type TurnOutcome = 'ok' | 'failed' | 'interrupted'
export type CallOutcome = 'ok' | 'failed' | 'interrupted' | 'denied'

/** The hub sink that exports every event (and the spans it completes). */
export class OtlpExport implements Sink {
  readonly name = 'otlp-export'
  readonly lossless = false
  readonly endpoint: string
  /** `service.instance.id`: random, one per run (so `<instance>:<event id>` is unique even without a store). */
  readonly instanceId: string
  readonly #logs: Ledger
  readonly #spans: Ledger
  readonly #loggerProvider: LoggerProvider
  readonly #tracerProvider: TracerProvider
  readonly #logger: ReturnType<LoggerProvider['getLogger']>
  readonly #tracer: ReturnType<TracerProvider['getTracer']>
  readonly #ids = new PresetIds()
  readonly #connections = new ExportConnections()
  readonly #calls = new Map<string, OpenCall>()
  readonly #turns = new Map<string, OpenTurn>()
  readonly #flushTimeoutMs: number
  readonly #log: (message: string) => void
  #closed = false
  #closing: Promise<void> | undefined
  #failing = false
  #skippedForwarded = 0
  #nextLocalId = 1

  constructor(options: OtlpExportOptions, log: (message: string) => void) {
    this.endpoint = options.endpoint
    this.#log = log
    this.#flushTimeoutMs = options.flushTimeoutMs ?? DEFAULT_OTLP_FLUSH_MS
    this.instanceId = randomUUID()
    const onResult = (ok: boolean, error: unknown) => this.#result(ok, error)
    this.#logs = new Ledger(options.maxQueue, onResult)
    this.#spans = new Ledger(options.maxQueue, onResult)

    const base = options.endpoint.replace(/\/+$/, '')
    const common = {
      headers: { ...options.headers },
      timeoutMillis: options.timeoutMs,
      concurrencyLimit: 4,
      httpAgentOptions: this.#connections.factory,
    }
    const resource = resourceFromAttributes({
      'service.name': OBSERVATORY_SERVICE,
      'service.instance.id': this.instanceId,
      'host.name': hostname(),
    })
    const batch = {
      maxQueueSize: options.maxQueue,
      maxExportBatchSize: Math.min(512, options.maxQueue),
      scheduledDelayMillis: options.batchDelayMs ?? 1000,
      // Longer than one request with its retries: the processor moves on only once the exporter answered.
      exportTimeoutMillis: options.timeoutMs + 5_000,
    }
    this.#loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({
          ...batch,
          exporter: new CountedLogExporter(
            new OTLPLogExporter({ ...common, url: `${base}/v1/logs` }),
            this.#logs,
          ),
        }),
      ],
    })
    this.#tracerProvider = new TracerProvider({
      resource,
      sampler: new AlwaysOnSampler(),
      idGenerator: this.#ids,
      spanProcessors: [
        new BatchSpanProcessor({
          ...batch,
          exporter: new CountedSpanExporter(
            new OTLPTraceExporter({ ...common, url: `${base}/v1/traces` }),
            this.#spans,
          ),
        }),
      ],
    })
    this.#logger = this.#loggerProvider.getLogger(OBSERVATORY_SERVICE)
    this.#tracer = this.#tracerProvider.getTracer(OBSERVATORY_SERVICE)
  }

  get counters(): OtlpExportCounters {
    return {
      endpoint: this.endpoint,
      instance: this.instanceId,
      logs: this.#logs.snapshot(),
      spans: this.#spans.snapshot(),
      skippedForwarded: this.#skippedForwarded,
    }
  }

  write(line: string, meta: EventMeta): void {
    const fields = lineFields(line)
    if (fields === undefined) return // every line the hub carries is a JSON object; nothing to export otherwise
    if (fields.forwarded) {
      this.#skippedForwarded++
      return
    }
    const time = meta.ts.getTime()
    const eventId = meta.id ?? this.#nextLocalId++
    // Spans first: a UserPromptSubmit opens the turn the record's prompt.id falls back to.
    const turn = this.#track(meta.event, time, eventId, fields)
    this.#record(line, meta, eventId, fields, turn)
  }

  #record(
    line: string,
    meta: EventMeta,
    eventId: number,
    fields: LineFields,
    turn: OpenTurn | undefined,
  ): void {
    if (!this.#logs.admit(this.#closed)) return
    const promptId = fields.prompt_id ?? turn?.promptId
    const body = line.endsWith('\n') ? line.slice(0, -1) : line
    const failure = meta.event === 'PostToolUseFailure' || meta.event === 'StopFailure'
    // The record is tied to its call's span, else its turn's: backends link logs and traces by these ids.
    let context: Context | undefined
    if (fields.session_id !== undefined) {
      const spanId =
        fields.tool_use_id !== undefined
          ? toolSpanId(fields.tool_use_id)
          : turn !== undefined
            ? turnSpanId(turn.key)
            : undefined
      if (spanId !== undefined) {
        context = trace.setSpanContext(ROOT_CONTEXT, {
          traceId: sessionTraceId(fields.session_id),
          spanId,
          traceFlags: TraceFlags.SAMPLED,
        })
      }
    }
    this.#logger.emit({
      timestamp: meta.ts,
      severityNumber: failure ? SeverityNumber.WARN : SeverityNumber.INFO,
      severityText: failure ? 'WARN' : 'INFO',
      eventName: 'hooks_observatory.hook',
      body,
      attributes: recordAttributes(
        meta.event,
        `${this.instanceId}:${eventId}`,
        meta.id,
        fields,
        promptId,
      ),
      ...(context === undefined ? {} : { context }),
    })
  }

  /** Moves the open calls and turns on; ends the spans this event completes. Returns the session's turn. */
  #track(event: string, time: number, eventId: number, f: LineFields): OpenTurn | undefined {
    const session = f.session_id
    let turn = session === undefined ? undefined : this.#turns.get(session)
    switch (event) {
      case 'UserPromptSubmit': {
        if (session === undefined) break
        const key = f.prompt_id ?? `${session}#${eventId}`
        if (turn !== undefined && turn.key === key) break // the same turn (a prompt expansion, a retry)
        // Stop does not fire when the user interrupts: a new prompt ends the running turn.
        if (turn !== undefined) this.#endTurn(session, turn, time, 'interrupted')
        turn = { key, promptId: f.prompt_id, start: time }
        remember(this.#turns, session, turn)
        break
      }
      case 'Stop':
      case 'StopFailure':
        if (session !== undefined && turn !== undefined) {
          this.#turns.delete(session)
          this.#endTurn(session, turn, time, event === 'Stop' ? 'ok' : 'failed')
        }
        break
      case 'PreToolUse':
        if (f.tool_use_id !== undefined) {
          remember(this.#calls, f.tool_use_id, {
            start: time,
            session,
            turn: turn?.key,
            promptId: f.prompt_id ?? turn?.promptId,
            tool: f.tool_name,
          })
        }
        break
      case 'PostToolUse':
      case 'PostToolUseFailure':
      case 'PermissionDenied': {
        const id = f.tool_use_id
        const call = id === undefined ? undefined : this.#calls.get(id)
        if (id === undefined || call === undefined) break
        this.#calls.delete(id)
        const outcome: CallOutcome =
          event === 'PostToolUse'
            ? 'ok'
            : event === 'PermissionDenied'
              ? 'denied'
              : f.is_interrupt === true
                ? 'interrupted'
                : 'failed'
        this.#endCall(id, call, time, outcome)
        break
      }
      case 'SessionEnd':
        if (session === undefined) break
        for (const [id, call] of this.#calls) {
          if (call.session === session) {
            this.#calls.delete(id)
            this.#endCall(id, call, time, 'interrupted')
          }
        }
        if (turn !== undefined) {
          this.#turns.delete(session)
          this.#endTurn(session, turn, time, 'interrupted')
        }
        turn = undefined
        break
    }
    return turn
  }

  #endTurn(session: string, turn: OpenTurn, end: number, outcome: TurnOutcome): void {
    if (!this.#spans.admit(this.#closed)) return
    this.#ids.traceId = sessionTraceId(session)
    this.#ids.spanId = turnSpanId(turn.key)
    const attributes: Record<string, string> = {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.agent.name': 'Claude Code',
      'gen_ai.conversation.id': session,
      'session.id': session,
      outcome,
    }
    if (turn.promptId !== undefined) attributes['prompt.id'] = turn.promptId
    if (outcome !== 'ok') attributes['error.type'] = outcome
    const span = this.#tracer.startSpan(
      'invoke_agent Claude Code',
      { kind: SpanKind.INTERNAL, startTime: turn.start, attributes, root: true },
      ROOT_CONTEXT,
    )
    if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome })
    span.end(Math.max(end, turn.start))
  }

  #endCall(id: string, call: OpenCall, end: number, outcome: CallOutcome): void {
    if (!this.#spans.admit(this.#closed)) return
    const session = call.session
    this.#ids.traceId = sessionTraceId(session ?? `tool:${id}`)
    this.#ids.spanId = toolSpanId(id)
    let parent: Context = ROOT_CONTEXT
    if (session !== undefined && call.turn !== undefined) {
      const turn: SpanContext = {
        traceId: sessionTraceId(session),
        spanId: turnSpanId(call.turn),
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      }
      parent = trace.setSpanContext(ROOT_CONTEXT, turn)
    }
    const attributes: Record<string, string> = {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.call.id': id,
      'gen_ai.tool.type': 'function',
      outcome,
    }
    if (call.tool !== undefined) attributes['gen_ai.tool.name'] = call.tool
    if (session !== undefined) {
      attributes['session.id'] = session
      attributes['gen_ai.conversation.id'] = session
    }
    if (call.promptId !== undefined) attributes['prompt.id'] = call.promptId
    const failed = outcome === 'failed' || outcome === 'interrupted'
    if (failed) attributes['error.type'] = outcome
    const span = this.#tracer.startSpan(
      `execute_tool${call.tool === undefined ? '' : ` ${call.tool}`}`,
      { kind: SpanKind.INTERNAL, startTime: call.start, attributes },
      parent,
    )
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome })
    span.end(Math.max(end, call.start))
  }

  /** Says once when exports start failing, and once when they work again. */
  #result(ok: boolean, error: unknown): void {
    if (ok && this.#failing) {
      this.#failing = false
      this.#log(`OTLP export to ${this.endpoint}: working again`)
    } else if (!ok && !this.#failing) {
      this.#failing = true
      const why = error instanceof Error ? error.message : String(error)
      this.#log(
        `OTLP export to ${this.endpoint} failed (${why || 'no reason given'}); ` +
          'records are being dropped and counted (/stats otlpExport)',
      )
    }
  }

  /**
   * Flush what is in flight, for at most the flush timeout; what is still in flight then is counted as dropped
   * (`shutdown`). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true
      const flushed = Promise.all([
        this.#loggerProvider.forceFlush(),
        this.#tracerProvider.forceFlush(),
      ]).then(
        () => true,
        () => false,
      )
      await within(flushed, this.#flushTimeoutMs)
      this.#logs.abandon()
      this.#spans.abandon()
      this.#connections.shutdown()
      const logs = this.#logs.abandoned
      const spans = this.#spans.abandoned
      if (logs + spans > 0) {
        this.#log(
          `OTLP export to ${this.endpoint}: ${logs} log record${logs === 1 ? '' : 's'} and ${spans} ` +
            `span${spans === 1 ? '' : 's'} still in flight were dropped at shutdown`,
        )
      }
      // Shutting the providers down flushes again (nothing left, or what the timeout gave up on): not waited for
      // longer than a moment, and never failing the close.
      const shut = Promise.all([this.#loggerProvider.shutdown(), this.#tracerProvider.shutdown()])
      await within(shut.catch(noop), 100)
    })()
    return this.#closing
  }
}

/**
 * The exporters' connections. Their sockets are unref'd (an export waiting for an answer does not keep the process
 * alive), and `shutdown()` ends what is still in flight with an error the exporter does not retry, and refuses
 * new connections the same way: once the flush at shutdown gave up, nothing is left pending but, at most, one
 * retry's backoff timer (≤ 5 s) in the SDK.
 */
class ExportConnections {
  readonly #agents: http.Agent[] = []
  #closed = false

  /** The exporters' `httpAgentOptions`: an agent factory. */
  readonly factory = (protocol: string): http.Agent => {
    const agent =
      protocol === 'https:'
        ? new https.Agent({ keepAlive: true })
        : new http.Agent({ keepAlive: true })
    const create = agent.createConnection.bind(agent)
    agent.createConnection = (options, callback) => {
      const socket = create(options, callback)
      if (socket !== null && socket !== undefined && 'unref' in socket) {
        ;(socket as { unref(): void }).unref()
        if (this.#closed) socket.destroy(shuttingDown())
      }
      return socket
    }
    this.#agents.push(agent)
    return agent
  }

  shutdown(): void {
    this.#closed = true
    for (const agent of this.#agents) {
      for (const sockets of Object.values(agent.sockets)) {
        for (const socket of sockets ?? []) socket.destroy(shuttingDown())
      }
      agent.destroy()
    }
  }
}

/** An error without a `code`: the exporter does not retry it. */
function shuttingDown(): Error {
  return new Error('the observatory is shutting down')
}

/** `map.set`, forgetting the oldest entry past the bound (a call or turn that never ended). */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > MAX_OPEN) map.delete(map.keys().next().value!)
}

/** Waits for `promise`, or `ms`, whichever comes first; the timer does not hold the process open. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    timer.unref()
    promise.then(
      () => {
        clearTimeout(timer)
        resolve()
      },
      () => {
        clearTimeout(timer)
        resolve()
      },
    )
  })
}

function noop(): void {}
