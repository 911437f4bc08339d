/**
 * The observatory's routes, on this project's framework.
 *
 *   POST <any path>?event=NAME   a hook event: enrich, encode once, publish to every sink, then 200 (empty body;
 *                                for PreToolUse and PermissionRequest, the policy's or a person's decision:
 *                                decisions.ts)
 *   POST /v1/logs, /v1/metrics,  Claude Code's telemetry, OTLP/HTTP JSON (otlp/index.ts): API requests' cost and
 *        /v1/traces              tokens, kept by session and turn
 *   GET  /health                 {"status":"ok"}
 *   GET  /stats                  uptime, events per type and per second, top tools, readers
 *   GET  /                       the dashboard (live-page.ts; the bundle in dist/web/): the sessions board, and
 *        /sessions/{id}, /stream, /charts   its other views (the same page: the script reads the URL)
 *   GET  /assets/{file}          the dashboard's bundle (hashed names, immutable); /favicon.svg
 *   GET  /events                 the live stream behind it (Server-Sent Events, one JSON line per event; a
 *                                reconnecting client's Last-Event-ID is honoured from the store)
 *   GET  /api/...                sessions, events, tools (api/routes.ts), the events timeline (api/timeline.ts),
 *                                approvals and the policy (api/approvals.ts); /docs and /openapi.json describe them
 *
 * The 200 for a hook is sent only after the lossless sinks (stdout, the log file) accepted the line and the store
 * committed it: an acknowledged event has been written. Readers and live pages are fed without being waited for.
 */
import { performance } from 'node:perf_hooks'
import { App, type Context, HttpError, type Middleware } from '../../framework/index.ts'
import type { Logger, RejectInfo, Request, Response } from '../../transport/index.ts'
import { RequestBodyError } from '../../transport/index.ts'
import { type PolicyInfo, registerApprovals } from '../api/approvals.ts'
import { registerApi, registerTimeline, registerUsage } from '../api/index.ts'
import { encodeJson, type JsonObject } from '../encoding/index.ts'
import { type OtlpLogRecord, registerOtlp } from '../otlp/index.ts'
import { forwardedEvent, isObservatoryRecord, RecentIds } from '../otlp/observatory-records.ts'
import { type Decisions, NO_DECISION } from './decisions.ts'
import { enrichEvent, eventNameFromQuery, readPayload } from './event.ts'
import { type GuardOptions, tcpGuard } from './guard.ts'
import type { EventHub } from './hub.ts'
import { Dashboard } from './live-page.ts'
import { liveStream } from './live-stream.ts'
import type { Recorded, Recorder } from './recorder.ts'
import type { Stats } from './stats.ts'

/** The app's parts and settings; `allowHosts`, `bindAddress` and `token` are the TCP guard's (guard.ts). */
export interface ObservatoryAppOptions extends GuardOptions {
  hub: EventHub
  stats: Stats
  /** Numbers events, moves the session model on, feeds the store. */
  recorder: Recorder
  /** Largest accepted body (413 beyond). */
  maxBodySize: number
  /** Access lines (`[HTTP] POST /hook?event=X HTTP/1.1 200`), or none. */
  accessLog?: ((line: string) => void) | undefined
  /** Counters the app adds to /stats (readers, dropped lines…). */
  extraStats?: () => Record<string, unknown>
  /** Decisions on PreToolUse and PermissionRequest (absent: every hook gets the empty body). */
  decisions?: Decisions | undefined
  /** What `GET /api/policy` says (absent: no policy). */
  policyInfo?: (() => PolicyInfo) | undefined
  logger?: Logger
  /** One-line messages (a forwarded event that could not be used). Default: stderr. */
  log?: ((message: string) => void) | undefined
}

export interface ObservatoryApp {
  app: App
  /**
   * End every live-page stream (shutdown: they would otherwise hold the server open).
   */
  endLiveStreams(): void
  /**
   * The server's `onReject`: a request the transport refused before the app saw it (malformed, a body over
   * --max-body, a head too slow…) is counted in /stats `rejected` and gets its access line like any other.
   */
  onReject(info: RejectInfo): void
}

export function createObservatoryApp(options: ObservatoryAppOptions): ObservatoryApp {
  const app = new App({ bodyLimit: options.maxBodySize, logger: options.logger })
  const { hub, stats, recorder } = options
  const decisions = options.decisions?.active === true ? options.decisions : undefined
  const approvals = decisions?.approvals
  const live = new Set<() => void>()

  if (options.accessLog !== undefined) app.use(accessLog(options.accessLog))
  app.use(tcpGuard(options))

  app.get('/health', () => ({ status: 'ok' }), { summary: 'Liveness check', tags: ['observatory'] })

  app.get(
    '/stats',
    () => ({
      ...stats.snapshot(),
      ...options.extraStats?.(),
      otlp: { ...otlp },
      forwarded: { ...forwarded },
      decisions:
        decisions === undefined
          ? null
          : { ...decisions.counters, pendingApprovals: approvals?.size ?? 0 },
    }),
    {
      summary: 'Uptime, events per type and per second, top tools, readers, decisions',
      tags: ['observatory'],
    },
  )

  const dashboard = new Dashboard()
  const page = () => dashboard.page()
  app.get('/', page, { summary: 'The dashboard: the sessions board', tags: ['live'] })
  // The dashboard's other views: the same page, which renders the view the URL names (History API).
  app.get('/sessions/{id}', page, { hidden: true })
  app.get('/stream', page, { hidden: true })
  app.get('/charts', page, { hidden: true })
  app.get(
    '/assets/{file}',
    (c) => {
      const response = dashboard.asset(
        c.params.file,
        c.header('accept-encoding'),
        c.header('if-none-match'),
      )
      if (response === undefined) throw new HttpError(404, 'no such asset')
      return response
    },
    { hidden: true },
  )
  app.get(
    '/favicon.svg',
    (c) => {
      const response = dashboard.icon(c.header('accept-encoding'), c.header('if-none-match'))
      if (response === undefined) throw new HttpError(404, 'no such asset')
      return response
    },
    { hidden: true },
  )
  app.get('/events', (c) => liveStream(c, hub, live, recorder.store, approvals), {
    summary: 'Live events (Server-Sent Events)',
    tags: ['live'],
  })

  /**
   * One event's way in, local or forwarded: encoded once, recorded (numbered, the session model, the store) and
   * published to every sink. `written` settles once the lossless sinks took the line and the store committed it.
   */
  const accept = (
    enriched: JsonObject,
    ts: Date,
    event: string,
  ): { recorded: Recorded; written: Promise<unknown> } => {
    const line = `${encodeJson(enriched)}\n`
    const tool = enriched.get('tool_name')
    const toolUseId = enriched.get('tool_use_id')
    const recorded = recorder.record(enriched, line, ts, event)
    const published = hub.publish(line, {
      event,
      ts,
      tool: typeof tool === 'string' ? tool : undefined,
      toolUseId: typeof toolUseId === 'string' ? toolUseId : undefined,
      id: recorded.id,
    })
    const written =
      recorded.committed === undefined ? published : Promise.all([published, recorded.committed])
    return { recorded, written }
  }

  // Hook events another observatory exported (otlp/exporter.ts) arrive as OTLP log records on /v1/logs: each is
  // taken in like a local hook (stored, in the sessions, fanned out), once per uid, marked `_forwarded` and without
  // local identity fields (otlp/observatory-records.ts). No decision is made on them: nobody waits for an answer.
  const forwarded = { received: 0, ingested: 0, duplicates: 0, malformed: 0 }
  const seen = new RecentIds()
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const forward = async (records: OtlpLogRecord[]): Promise<OtlpLogRecord[]> => {
    const rest: OtlpLogRecord[] = []
    const pending: Promise<unknown>[] = []
    const uids: string[] = []
    const now = Date.now()
    for (const record of records) {
      if (!isObservatoryRecord(record)) {
        rest.push(record)
        continue
      }
      forwarded.received++
      const event = forwardedEvent(record, now)
      if (typeof event === 'string') {
        forwarded.malformed++
        log(`Forwarded hook event dropped: ${event}`)
        continue
      }
      if (!seen.add(event.uid)) {
        forwarded.duplicates++
        continue
      }
      uids.push(event.uid)
      pending.push(accept(event.enriched, new Date(event.time), event.event).written)
    }
    // All recorded and published in order above; their commits awaited together (one group commit).
    try {
      await Promise.all(pending)
    } catch (error) {
      // Not stored: the sender may retry, and the retry must not be taken for a duplicate.
      for (const uid of uids) seen.delete(uid)
      throw error
    }
    forwarded.ingested += uids.length
    return rest
  }

  const ingest = async (c: Context): Promise<Response> => {
    const request = c.req
    const started = decisions === undefined ? 0 : performance.now()
    let body: Uint8Array
    try {
      body = await request.body(options.maxBodySize)
    } catch (error) {
      // A body past --max-body without a Content-Length saying so (413), a broken chunked body (400), one too
      // slow (408): refused like the transport's rejections and counted with them in /stats `rejected`. The
      // framework answers it, so its access line is the usual one.
      if (error instanceof RequestBodyError) stats.recordRejected(error.status)
      throw error
    }
    const ts = new Date()
    const event = eventNameFromQuery(request.query)
    const { payload, text } = readPayload(body)
    const enriched = enrichEvent(peerMeta(request, ts, event), payload, text)
    const { recorded, written } = accept(enriched, ts, event)
    await written
    if (decisions === undefined) return NO_DECISION
    if (event !== 'PreToolUse' && event !== 'PermissionRequest') {
      decisions.observe(event, recorded.event)
      return NO_DECISION
    }
    return decisions.answer({
      name: event,
      event: recorded.event,
      started,
      eventId: recorded.id,
      toolUseId: recorded.toolUseId,
      signal: () => request.signal,
    })
  }
  // Claude Code's telemetry (OTLP/HTTP JSON): before the catch-all hook route, which would take it for a hook.
  const otlp = registerOtlp(app, {
    store: recorder.store,
    maxBodySize: options.maxBodySize,
    forward,
  })
  // The original accepts a hook on any path; /hook is what every config uses.
  app.post('/{*path}', ingest, {
    summary: 'Receive a hook event (?event=NAME, JSON body)',
    tags: ['hooks'],
  })

  registerApi(app, {
    model: recorder.model,
    store: recorder.store,
    staleAfterMs: recorder.model.staleAfterMs,
    decisions: decisions !== undefined,
  })
  registerTimeline(app, { store: recorder.store })
  registerUsage(app, { store: recorder.store })
  registerApprovals(app, {
    approvals,
    policy:
      options.policyInfo ??
      (() => ({
        mode: 'enforce',
        files: [],
        rules: 0,
        error: null,
        approvals: { enabled: false, timeout_ms: null },
      })),
  })
  app.docs({
    title: 'Claude Code hooks observatory',
    info: {
      version: '1',
      description:
        'Hook events in (`POST /hook?event=NAME`), sessions, events and tool statistics out. Over TCP every ' +
        'request but `GET /health` needs the token when one is set.',
    },
  })

  const writeAccess = options.accessLog
  return {
    app,
    endLiveStreams: () => {
      for (const end of live) end()
    },
    onReject: (info) => {
      stats.recordRejected(info.status)
      writeAccess?.(rejectedAccessLine(info))
    },
  }
}

function peerMeta(request: Request, ts: Date, event: string) {
  const peer = request.peer
  if (peer.transport === 'tcp') return { ts, event, client: stripMapped(peer.address) }
  if (peer.pid === undefined) return { ts, event }
  return { ts, event, peer: { pid: peer.pid, uid: peer.uid, gid: peer.gid } }
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) is reported as the IPv4 address it is. */
function stripMapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

function accessLog(write: (line: string) => void): Middleware {
  return async (c, next) => {
    await next()
    const req = c.req
    write(`[HTTP] ${req.method} ${req.target} HTTP/${req.version} ${c.res?.status ?? 500}`)
  }
}

/**
 * The access line of a request refused by the transport: the same layout as `accessLog`'s, `-` for what was not
 * read (`[HTTP] - - - 400 …` when the request line itself was malformed), then the reason. Control characters
 * from the client are shown as `?` so a line cannot forge another or drive the terminal.
 */
export function rejectedAccessLine(info: RejectInfo): string {
  const version = info.version === undefined ? '-' : `HTTP/${info.version}`
  const line = `[HTTP] ${info.method ?? '-'} ${info.target ?? '-'} ${version} ${info.status} ${info.reason}`
  return line.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}
