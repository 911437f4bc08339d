/**
 * Start the observatory: sinks, hub, statistics, the application, and its listeners; stop it in the right order.
 *
 * Shutdown order matters for "no lost events": answer the hooks waiting for a person ("no decision": Claude Code
 * asks in the terminal), stop accepting connections, end the live-page streams (they would hold the server open
 * forever), let in-flight hooks finish (they still publish into open sinks), and only then flush and close the
 * sinks, the store and the audit log.
 */
import {
  createServer,
  type HttpServer,
  ListenError,
  type ListenerAddress,
  type Logger,
  stderrLogger,
} from '../../transport/index.ts'
import { encodeJsonPretty, encodeYaml, parseJson } from '../encoding/index.ts'
import { UserError } from '../errors.ts'
import type { OtlpExport } from '../otlp/exporter.ts'
import { decisionBody, PolicyWatcher, policyFiles } from '../policy/index.ts'
import { type LineFormatter, LogFileSink, OutputSocketSink, StreamSink } from '../sinks/index.ts'
import type { Store } from '../store/index.ts'
import { createObservatoryApp } from './app.ts'
import { Approvals } from './approvals.ts'
import { AuditWriter } from './audit-writer.ts'
import { Decisions } from './decisions.ts'
import { EventHub, type Sink } from './hub.ts'
import type { ObservatoryOptions } from './options.ts'
import { Recorder } from './recorder.ts'
import { prepareSocketDirectory } from './socket-path.ts'
import { Stats } from './stats.ts'

export interface ObservatoryIO {
  /** Where event data goes (stdout). */
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  /** Human messages (stderr): one line per call. */
  message: (line: string) => void
  logger?: Logger
}

export interface RunningObservatory {
  readonly addresses: readonly ListenerAddress[]
  readonly hub: EventHub
  readonly stats: Stats
  readonly recorder: Recorder
  /** What decides PreToolUse and PermissionRequest (for the banner); undefined: nothing does. */
  readonly governance: Governance | undefined
  /** Graceful stop; resolves once every sink is flushed and closed. */
  close(): Promise<void>
}

/** The policy, approvals and audit log in force (the banner says them). */
export interface Governance {
  mode: 'enforce' | 'shadow'
  /** The policy files (absolute), in merge order; empty: no policy. */
  policyFiles: readonly string[]
  rules: number
  /** The approval timeout when approvals from the page are on. */
  approvalTimeoutMs: number | undefined
  auditPath: string
}

export async function startObservatory(
  options: ObservatoryOptions,
  io: ObservatoryIO,
): Promise<RunningObservatory> {
  const stats = new Stats()
  const hub = new EventHub({ stats, log: io.message })
  const sinks: Sink[] = []
  let outputSocket: OutputSocketSink | undefined
  let logFile: LogFileSink | undefined
  let otlpExport: OtlpExport | undefined
  let server: HttpServer | undefined
  let store: Store | undefined
  let watcher: PolicyWatcher | undefined
  let audit: AuditWriter | undefined
  let approvals: Approvals | undefined
  try {
    // The policy first: a broken policy file is said before anything is opened or listens.
    const wanted = options.decisions
    if (wanted !== undefined) {
      const files = await policyFiles({
        explicit: wanted.policyFiles,
        cwd: wanted.cwd,
        home: wanted.home,
        env: wanted.env,
      })
      if (files.length > 0) {
        watcher = await PolicyWatcher.start({ files, log: io.message, home: wanted.home })
      }
    }
    if (options.store !== undefined) store = await openStore(options.store, io.message)
    const recorder = new Recorder({ store, staleAfterMs: options.staleAfterMs })
    recorder.restore(Date.now())

    let decisions: Decisions | undefined
    let governance: Governance | undefined
    if (wanted !== undefined && (watcher !== undefined || wanted.approveFromPage)) {
      audit = await AuditWriter.open(wanted.auditPath)
      if (wanted.approveFromPage) approvals = new Approvals({ timeoutMs: wanted.approvalTimeoutMs })
      decisions = new Decisions({
        policy: watcher,
        mode: wanted.mode,
        approvals,
        audit,
        store,
        body: decisionBody,
        log: io.message,
      })
      governance = {
        mode: wanted.mode,
        policyFiles: watcher?.files ?? [],
        rules: watcher?.policy.rules ?? 0,
        approvalTimeoutMs: approvals?.timeoutMs,
        auditPath: audit.path,
      }
    }
    const policyWatcher = watcher
    const mode = wanted?.mode ?? 'enforce'

    if (options.outputSocket === undefined || options.tee) {
      const stdout = new StreamSink(io.stdout as unknown as import('node:stream').Writable, {
        name: 'stdout',
        format: formatter(options.format, io.stdout.isTTY === true),
        log: io.message,
      })
      sinks.push(stdout)
    }
    // Private directories are made and checked, shared ones named, before anything is created in them.
    for (const path of [options.socket?.path, options.outputSocket]) {
      const warning = path === undefined ? undefined : prepareSocketDirectory(path)
      if (warning !== undefined) io.message(warning)
    }
    if (options.outputSocket !== undefined) {
      outputSocket = await OutputSocketSink.listen({ path: options.outputSocket, log: io.message })
      sinks.push(outputSocket)
    }
    if (options.log !== undefined) {
      logFile = await LogFileSink.open({
        path: options.log.path,
        maxBytes: options.log.maxBytes,
        maxFiles: options.log.maxFiles,
        fsync: options.log.fsync,
        log: io.message,
      })
      sinks.push(logFile)
    }
    if (options.otlpExport !== undefined) {
      // Loaded only when wanted: the OpenTelemetry SDK is not small. A lossy sink: hooks never wait for it, and
      // hub.close() (at shutdown) flushes it for a bounded time.
      const { OtlpExport } = await import('../otlp/exporter.ts')
      otlpExport = new OtlpExport(options.otlpExport, io.message)
      sinks.push(otlpExport)
    }
    for (const sink of sinks) hub.addSink(sink)

    const logger = io.logger ?? stderrLogger()
    const { app, endLiveStreams, onReject } = createObservatoryApp({
      hub,
      stats,
      recorder,
      maxBodySize: options.maxBodySize,
      allowHosts: options.allowHosts,
      bindAddress: options.tcp?.host ?? '127.0.0.1',
      token: options.token,
      accessLog: options.quiet ? undefined : io.message,
      extraStats: () => ({
        readers: outputSocket?.counters,
        log: logFile?.counters,
        live: hub.counters,
        store: store === undefined ? null : { path: store.path, last_id: store.lastId() },
        otlpExport: otlpExport?.counters ?? null,
      }),
      decisions,
      policyInfo: () => ({
        mode,
        files: [...(policyWatcher?.files ?? [])],
        rules: policyWatcher?.policy.rules ?? 0,
        error: policyWatcher?.error ?? null,
        approvals: {
          enabled: approvals !== undefined,
          timeout_ms: approvals?.timeoutMs ?? null,
        },
      }),
      logger,
      log: io.message,
    })

    const serverOptions = {
      limits: { maxBodySize: options.maxBodySize },
      trace: options.trace ? (text: string) => process.stderr.write(text) : undefined,
      logger,
      onReject,
    }
    if (options.engine === 'node') {
      const { createNodeHttpServer } = await import('../../transport/node-adapter.ts')
      server = createNodeHttpServer(app.handler, serverOptions)
    } else {
      server = createServer(app.handler, serverOptions)
    }
    if (options.socket !== undefined) {
      await server.listen({ path: options.socket.path, mode: options.socket.mode })
    }
    if (options.tcp !== undefined) {
      await server.listen({ port: options.tcp.port, host: options.tcp.host })
    }

    const running = server
    const auditLog = audit
    const pending = approvals
    let closing: Promise<void> | undefined
    return {
      addresses: running.addresses,
      hub,
      stats,
      recorder,
      governance,
      close: () => {
        closing ??= (async () => {
          // Hooks waiting for a person are answered now (no decision), not after the drain's timeout.
          pending?.close()
          const stopped = running.close({ timeout: 5_000 })
          endLiveStreams()
          await stopped
          policyWatcher?.close()
          try {
            await hub.close()
          } finally {
            try {
              await store?.close()
            } finally {
              await auditLog?.close()
            }
          }
        })()
        return closing
      },
    }
  } catch (error) {
    // Start-up failed half-way: release what was opened (socket files, the log) before reporting.
    approvals?.close()
    watcher?.close()
    await server?.close({ timeout: 100 }).catch(() => {})
    for (const sink of sinks) await sink.close().catch(() => {})
    await store?.close().catch(() => {})
    await audit?.close().catch(() => {})
    // A listener that could not start (a socket in use, a missing directory) is the user's to fix: one line.
    if (error instanceof ListenError)
      throw new UserError(error.message, 'RUNTIME', { cause: error })
    throw error
  }
}

/**
 * The store, loaded only when it is wanted (the SQLite binding is a native module). A database a user can act on
 * (corrupt, locked, unwritable) is their error, one line; a binding that cannot load on this machine is said once
 * and the observatory runs on without history, as a pipe and a live session board.
 */
async function openStore(
  options: NonNullable<ObservatoryOptions['store']>,
  message: (line: string) => void,
): Promise<Store | undefined> {
  let module: typeof import('../store/index.ts')
  try {
    module = await import('../store/index.ts')
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n', 1)[0] : String(error)
    message(`Warning: the store is off: its SQLite binding did not load (${reason})`)
    return undefined
  }
  return module.Store.open({
    path: options.path,
    retainMs: options.retainMs,
    fsync: options.fsync,
    log: message,
  })
}

/** stdout's format. The log and the readers always get the compact line; pretty forms are for people. */
function formatter(format: ObservatoryOptions['format'], tty: boolean): LineFormatter | undefined {
  switch (format) {
    case 'jsonl':
      return undefined
    case 'pretty-json':
      return (line) => `${encodeJsonPretty(parseJson(line))}\n`
    case 'pretty-yaml':
      return (line) => encodeYaml(parseJson(line), { color: tty })
  }
}
