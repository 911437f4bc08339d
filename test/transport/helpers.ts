/**
 * Helpers for transport tests against real sockets: a raw client that parses the responses it receives, a
 * per-test harness that closes every server and socket it made (and checks that no connection is left), and a
 * logger that records what it is told.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../../src/transport/logger.ts'
import {
  createServer,
  type HttpServer,
  type ListenOptions,
  type ServerOptions,
} from '../../src/transport/server.ts'
import type { Handler } from '../../src/transport/types.ts'

/** Default wait for anything a test expects to happen: generous, the machine is shared. */
export const WAIT_MS = 15_000

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Poll `check` every 10 ms until it holds; fail naming `what` after `ms`. */
export async function eventually(check: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(10)
  }
}

// ---- responses --------------------------------------------------------------------------------------

export interface ParsedResponse {
  readonly version: string
  readonly status: number
  readonly reason: string
  /** Header fields in order, names as received. */
  readonly headers: [string, string][]
  readonly body: Buffer
  /** True when the body ran to the end of the connection (no Content-Length, not chunked). */
  readonly closeDelimited: boolean
  /** True when the body was sent chunked. */
  readonly chunked: boolean
}

/** First value of a header (any case), or undefined. */
export function header(response: ParsedResponse, name: string): string | undefined {
  const lower = name.toLowerCase()
  return response.headers.find(([n]) => n.toLowerCase() === lower)?.[1]
}

/** Headers as `[lower-case name, value]` pairs, in order, without the ones named in `except`. */
export function headerList(response: ParsedResponse, except: string[] = []): [string, string][] {
  const skip = new Set(except.map((n) => n.toLowerCase()))
  return response.headers
    .map(([n, v]): [string, string] => [n.toLowerCase(), v])
    .filter(([n]) => !skip.has(n))
}

function indexOfCrlf(buf: Buffer, from: number): number {
  return buf.indexOf('\r\n', from, 'latin1')
}

/**
 * Parse one response starting at `start`. Returns it with the offset after it, or undefined when the bytes so
 * far do not complete it. `noBody`: the response answers HEAD. `ended`: the server closed its side, so a
 * close-delimited body is complete.
 */
export function parseResponse(
  buf: Buffer,
  start: number,
  noBody: boolean,
  ended: boolean,
): { response: ParsedResponse; next: number } | undefined {
  const headEnd = buf.indexOf('\r\n\r\n', start, 'latin1')
  if (headEnd === -1) return undefined
  const lines = buf.subarray(start, headEnd).toString('latin1').split('\r\n')
  const statusLine = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0]!)
  assert.ok(statusLine, `not a status line: ${JSON.stringify(lines[0])}`)
  const headers: [string, string][] = []
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    assert.ok(colon > 0, `not a header line: ${JSON.stringify(line)}`)
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()])
  }
  const status = Number(statusLine[2])
  const base = { version: statusLine[1]!, status, reason: statusLine[3]!, headers }
  const find = (name: string): string | undefined =>
    headers.find(([n]) => n.toLowerCase() === name)?.[1]
  let pos = headEnd + 4
  if (status < 200 || status === 204 || status === 304 || noBody) {
    return {
      response: { ...base, body: Buffer.alloc(0), closeDelimited: false, chunked: false },
      next: pos,
    }
  }
  const te = find('transfer-encoding')
  if (te !== undefined && /chunked\s*$/i.test(te)) {
    const parts: Buffer[] = []
    for (;;) {
      const lineEnd = indexOfCrlf(buf, pos)
      if (lineEnd === -1) return undefined
      const size = Number.parseInt(buf.subarray(pos, lineEnd).toString('latin1').split(';')[0]!, 16)
      assert.ok(Number.isInteger(size) && size >= 0, 'bad chunk size line')
      pos = lineEnd + 2
      if (size === 0) {
        // Trailer lines, then the empty line.
        for (;;) {
          const end = indexOfCrlf(buf, pos)
          if (end === -1) return undefined
          const empty = end === pos
          pos = end + 2
          if (empty) break
        }
        return {
          response: { ...base, body: Buffer.concat(parts), closeDelimited: false, chunked: true },
          next: pos,
        }
      }
      if (buf.length < pos + size + 2) return undefined
      parts.push(buf.subarray(pos, pos + size))
      assert.equal(buf.subarray(pos + size, pos + size + 2).toString('latin1'), '\r\n')
      pos += size + 2
    }
  }
  const cl = find('content-length')
  if (cl !== undefined) {
    const length = Number(cl)
    if (buf.length < pos + length) return undefined
    return {
      response: {
        ...base,
        body: Buffer.from(buf.subarray(pos, pos + length)),
        closeDelimited: false,
        chunked: false,
      },
      next: pos + length,
    }
  }
  if (!ended) return undefined
  return {
    response: {
      ...base,
      body: Buffer.from(buf.subarray(pos)),
      closeDelimited: true,
      chunked: false,
    },
    next: buf.length,
  }
}

// ---- a raw client --------------------------------------------------------------------------------------

export type Target = { port: number; host?: string } | { path: string }

/** A client on a plain socket that writes bytes as given and parses what comes back. */
export class RawClient {
  readonly socket: Socket
  private buf: Buffer = Buffer.alloc(0)
  private parsed = 0
  private changed: (() => void) | undefined
  /** The server closed its side (FIN) or the socket closed. */
  ended = false
  closed = false
  error: NodeJS.ErrnoException | undefined

  constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
      this.notify()
    })
    socket.on('end', () => {
      this.ended = true
      this.notify()
    })
    socket.on('close', () => {
      this.ended = true
      this.closed = true
      this.notify()
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error = error
      this.notify()
    })
  }

  static connect(target: Target): Promise<RawClient> {
    const socket =
      'path' in target ? connect(target.path) : connect(target.port, target.host ?? '127.0.0.1')
    return withTimeout(
      new Promise<RawClient>((resolve, reject) => {
        socket.once('connect', () => {
          socket.off('error', reject)
          resolve(new RawClient(socket))
        })
        socket.once('error', reject)
      }),
      'connect',
    )
  }

  private notify(): void {
    const wake = this.changed
    this.changed = undefined
    wake?.()
  }

  /** Resolves when `check()` holds (checked now and after every socket event). */
  async until(check: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms
    while (!check()) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${this.preview()}`)
      await withTimeout(
        new Promise<void>((resolve) => {
          this.changed = resolve
        }),
        `${what}; received ${this.preview()}`,
        left,
      )
    }
  }

  private preview(): string {
    const text = this.text
    return JSON.stringify(text.length > 400 ? `${text.slice(0, 400)}…` : text)
  }

  /** Everything received so far, as latin1. */
  get text(): string {
    return this.buf.toString('latin1')
  }

  get receivedBytes(): number {
    return this.buf.length
  }

  write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data
    return new Promise((resolve) => {
      this.socket.write(bytes, () => resolve())
    })
  }

  /** The next response (after any already returned). `head`: it answers a HEAD request. */
  async response(options: { head?: boolean; ms?: number } = {}): Promise<ParsedResponse> {
    let result: ReturnType<typeof parseResponse>
    await this.until(
      () => {
        result = parseResponse(this.buf, this.parsed, options.head === true, this.ended)
        return result !== undefined || (this.ended && this.parsed >= this.buf.length)
      },
      'a response',
      options.ms,
    )
    if (result === undefined)
      throw new Error(`connection ended without a response: ${this.preview()}`)
    this.parsed = result.next
    return result.response
  }

  async responses(count: number, ms?: number): Promise<ParsedResponse[]> {
    const out: ParsedResponse[] = []
    for (let i = 0; i < count; i++) out.push(await this.response({ ms }))
    return out
  }

  /** Resolves when the server has closed the connection (FIN or reset). */
  serverClosed(ms?: number): Promise<void> {
    return this.until(() => this.ended, 'the server to close the connection', ms)
  }

  /** True when nothing is left unparsed. */
  get drained(): boolean {
    return this.parsed >= this.buf.length
  }

  destroy(): void {
    this.socket.destroy()
  }
}

// ---- the harness ------------------------------------------------------------------------------------

export interface Recorded {
  logger: Logger
  lines: { level: string; message: string }[]
}

/** A logger that keeps every line. */
export function recordingLogger(): Recorded {
  const lines: { level: string; message: string }[] = []
  const add =
    (level: string) =>
    (message: string): void => {
      lines.push({ level, message })
    }
  return {
    lines,
    logger: { debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') },
  }
}

/**
 * Owns what a test opens: `server()` starts one on 127.0.0.1 port 0, `client()` connects. When the test ends
 * every client is destroyed and every server closed; each server must then report no open connection.
 */
export class Harness {
  private readonly servers: HttpServer[] = []
  private readonly clients: RawClient[] = []
  private readonly dirs: string[] = []

  constructor(t?: TestContext) {
    t?.after(() => this.dispose())
  }

  async server(
    handler: Handler,
    options: ServerOptions = {},
    listen: ListenOptions = { port: 0, host: '127.0.0.1' },
  ): Promise<{ server: HttpServer; port: number; target: Target }> {
    const server = createServer(handler, { logger: recordingLogger().logger, ...options })
    this.servers.push(server)
    const address = await server.listen(listen)
    const target: Target =
      address.transport === 'tcp'
        ? { port: address.port, host: address.host }
        : { path: address.path }
    return { server, port: address.transport === 'tcp' ? address.port : 0, target }
  }

  /** Track a server created elsewhere. */
  own(server: HttpServer): HttpServer {
    this.servers.push(server)
    return server
  }

  async client(target: Target | number): Promise<RawClient> {
    const client = await RawClient.connect(typeof target === 'number' ? { port: target } : target)
    this.clients.push(client)
    return client
  }

  /** A fresh temporary directory, removed at the end. */
  tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'transport-test-'))
    this.dirs.push(dir)
    return dir
  }

  async dispose(): Promise<void> {
    for (const client of this.clients) client.destroy()
    for (const server of this.servers) {
      await withTimeout(server.close({ timeout: 2000 }), 'server close')
      assert.equal(server.connectionCount, 0, 'connections left open after close()')
    }
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true })
  }
}

/** A request head with Host, as latin1 text. */
export function get(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`
}

/** What `echoHandler` answers: the request as the server saw it. */
export interface Echo {
  method: string
  target: string
  path: string
  query: string
  version: string
  headers: string[]
  /** The body as latin1 (byte for byte). */
  body: string
}

/** Answers every request with a JSON description of it, body included. */
export const echoHandler: Handler = async (request) => {
  const body = await request.body()
  const echo: Echo = {
    method: request.method,
    target: request.target,
    path: request.path,
    query: request.query,
    version: request.version,
    headers: request.headers.raw,
    body: Buffer.from(body).toString('latin1'),
  }
  return {
    status: 200,
    headers: [['Content-Type', 'application/json']],
    body: JSON.stringify(echo),
  }
}

export function parseEcho(response: ParsedResponse): Echo {
  assert.equal(response.status, 200, response.body.toString('latin1'))
  return JSON.parse(response.body.toString('utf8')) as Echo
}

// ---- child processes -----------------------------------------------------------------------------------

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * A TypeScript script run as `node --import tsx script args…`, its stdout read line by line. The process is
 * killed when the test ends if it is still running.
 */
export class Child {
  readonly process: ChildProcess
  readonly lines: string[] = []
  stderr = ''
  private read = 0
  private outputClosed = false
  private changed: (() => void) | undefined
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(script: string, args: string[], t?: TestContext) {
    this.process = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    createInterface({ input: this.process.stdout! })
      .on('line', (line) => {
        this.lines.push(line)
        this.wake()
      })
      .on('close', () => {
        this.outputClosed = true
        this.wake()
      })
    this.process.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString()
    })
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.wake()
        resolve({ code, signal })
      })
    })
    t?.after(async () => {
      if (this.process.exitCode === null && this.process.signalCode === null) {
        this.process.kill('SIGKILL')
        await this.exited
      }
    })
  }

  private wake(): void {
    const wake = this.changed
    this.changed = undefined
    wake?.()
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  /** The next stdout line not returned yet that matches `pattern` (lines before it are skipped). */
  async line(pattern: RegExp, ms = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms
    for (;;) {
      while (this.read < this.lines.length) {
        const match = pattern.exec(this.lines[this.read++]!)
        if (match !== null) return match
      }
      if (this.outputClosed) {
        throw new Error(`process exited before printing ${pattern}; stderr: ${this.stderr}`)
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no line matching ${pattern}; stderr: ${this.stderr}`)
      await withTimeout(
        new Promise<void>((resolve) => {
          this.changed = resolve
        }),
        `a line matching ${pattern}; stderr: ${this.stderr}`,
        left,
      )
    }
  }

  send(line: string): void {
    this.process.stdin!.write(`${line}\n`)
  }
}
