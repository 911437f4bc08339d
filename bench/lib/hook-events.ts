/**
 * The hook traffic the observatory benchmarks send: what Claude Code sends for a Bash call, a PreToolUse and then
 * its PostToolUse (the same `tool_use_id`, a short `tool_response`), about 400 and 480 bytes of JSON. Each sender
 * (a connection, or a loop of one-shot connections) is one agent in one of eight sessions, and sends its calls'
 * events in order, so the session model does its real work: every call opens, runs and closes with a duration.
 *
 * (An earlier version sent the same PreToolUse, one `tool_use_id`, every time: the model then never opened more
 * than one call, which hid a per-event scan over open calls, see sessions/model.ts `bound`.)
 *
 * `id` is the body's first key, so the benchmarks' "every event exactly once" checks find it cheaply. The clients'
 * `openSocket` is here too.
 */

import { connect, type Socket } from 'node:net'

const SESSIONS = 8

/** Where a benchmark client connects: the observatory's TCP port on 127.0.0.1, or its Unix socket. */
export type Target = { port: number } | { path: string }

/** A connected client socket (no Nagle delay), or the connect error. */
export function openSocket(target: Target): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = 'port' in target ? connect(target.port, '127.0.0.1') : connect(target.path)
    socket.setNoDelay(true)
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/** A session id that looks like Claude Code's (a UUID). */
function sessionId(n: number): string {
  return `3f5e8a9c-1b2d-4e6f-8a0b-${(0x1c2d3e4f5a60 + n).toString(16)}`
}

/** One sender's events: a call's PreToolUse, then its PostToolUse, then the next call's PreToolUse… */
export class HookTraffic {
  readonly #session: string
  readonly #prefix: string
  #calls = 0
  #open = false

  /** `sender`: a number unique within the run (it picks the session and names the calls). */
  constructor(sender: number, tag: string) {
    this.#session = sessionId(sender % SESSIONS)
    this.#prefix = `toolu_${tag}_${sender}_`
  }

  /** The next request (`POST /hook?event=…`, HTTP/1.1, keep-alive unless `close`), its body's `id` first. */
  next(id: string, close = false): string {
    const post = this.#open
    const call = `${this.#prefix}${post ? this.#calls : ++this.#calls}`
    this.#open = !post
    return hookRequest(id, this.#session, call, post, close)
  }
}

/** A PreToolUse (or, with `post`, the PostToolUse) of a Bash call, as an HTTP/1.1 request. */
export function hookRequest(
  id: string,
  session: string,
  toolUseId: string,
  post: boolean,
  close = false,
): string {
  const event = post ? 'PostToolUse' : 'PreToolUse'
  const body =
    `{"id":"${id}","session_id":"${session}","transcript_path":"/home/user/.claude/projects/-home-user-project/${session}.jsonl",` +
    `"cwd":"/home/user/project","permission_mode":"default","hook_event_name":"${event}","tool_name":"Bash",` +
    `"tool_input":{"command":"git status --short && npm test -- --run","description":"Show changes and run the tests","timeout":120000},` +
    (post
      ? `"tool_response":{"stdout":" M src/app.ts\\n 12 passing (340ms)","stderr":"","interrupted":false,"isImage":false},`
      : '') +
    `"tool_use_id":"${toolUseId}"}`
  return (
    `POST /hook?event=${event} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
    `${close ? 'Connection: close\r\n' : ''}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}
