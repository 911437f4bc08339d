/**
 * A fake Anthropic Messages API for driving the real Claude Code CLI offline (`ANTHROPIC_BASE_URL`).
 *
 * `POST /v1/messages` (any query, e.g. `?beta=true`), without a script (the default scenario):
 * - a conversation whose messages hold no `tool_result` yet and whose `tools` offer `Bash` is answered with one
 *   `tool_use` block calling Bash with {@link FAKE_COMMAND} (stop_reason `tool_use`);
 * - anything else (the follow-up carrying the `tool_result`, or a side request such as a title or a summary
 *   asked of a small model without tools) is answered with a text block "done" (stop_reason `end_turn`).
 *
 * With a {@link Script} (`startFakeAnthropic({ script })`), the script picks each answer from what it sees of the
 * request ({@link MessagesRequest}: how many requests came before, the conversation's turn, the tool results of
 * the last message, the system prompt, the first user message, the tools offered); when it returns `undefined`
 * the answer is the text {@link FAKE_ANSWER}. {@link conversations} builds a script from per-agent answer lists.
 * An answer is text, one or more `tool_use` blocks (optionally after a text block), or an API error.
 *
 * Telling the main agent from a subagent: both send their requests here, with the same model and much the same
 * tools. A subagent's conversation starts with the prompt the main agent gave the Task/Agent tool as its first
 * user message, where the main agent's starts with the `-p` prompt; so {@link MessagesRequest.firstUserText}
 * (all text of the first user message, including any `<system-reminder>` blocks Claude Code adds) identifies the
 * conversation, and {@link MessagesRequest.turn} (the number of assistant messages so far) the step within it.
 *
 * With `"stream": true` the answer is a server-sent event stream in the Messages API's order: `message_start`,
 * then per content block `content_block_start`, `content_block_delta` (`text_delta` or `input_json_delta`),
 * `content_block_stop`, then `message_delta` (stop_reason, usage) and `message_stop`. Without it, the same
 * message as one JSON object.
 *
 * `POST /v1/messages/count_tokens` gets `{"input_tokens": N}`; `GET /v1/models` an empty list; `HEAD` anything
 * 200 without a body; any other request 200 `{}`. Every request is recorded (method, path, parsed body, what was
 * answered) for assertions and for a failure message.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** The shell command the fake model asks Bash to run. */
export const FAKE_COMMAND = 'echo hello-from-fake'

/** The final answer's text. */
export const FAKE_ANSWER = 'done'

export interface RecordedRequest {
  method: string
  /** Path with query, as sent. */
  path: string
  headers: http.IncomingHttpHeaders
  /** The body parsed as JSON, else as text (`undefined` when empty). */
  body: unknown
  /** When it came in: milliseconds since the fake started. */
  at: number
  /** What the fake answered: `tool_use`, `text`, `error`, `count_tokens` or `other`. */
  answer: string
  /** For a scripted answer: the label of the conversation that answered (see {@link conversations}). */
  label?: string
  /** For a `tool_use` answer: the tool names called, in order. */
  tools?: string[]
}

type Json = Record<string, unknown>

/** One `tool_use` block of an answer. */
export interface ToolCall {
  name: string
  input: Json
  /** The block's id; by default `toolu_fake_<request>_<index>`. */
  id?: string
}

/** What the fake model answers one Messages request with. */
export type ScriptedAnswer =
  | { kind: 'text'; text: string; label?: string }
  | { kind: 'tool_use'; calls: ToolCall[]; text?: string; label?: string }
  | { kind: 'error'; status: number; type: string; message: string; label?: string }

/** A text answer (stop_reason `end_turn`). */
export function text(value: string): ScriptedAnswer {
  return { kind: 'text', text: value }
}

/** An answer of `tool_use` blocks, one per call, in order (stop_reason `tool_use`). */
export function toolUse(...calls: ToolCall[]): ScriptedAnswer {
  return { kind: 'tool_use', calls }
}

/** An API error answer: HTTP `status` with `{"type":"error","error":{"type":…,"message":…}}`. */
export function apiError(status: number, type: string, message: string): ScriptedAnswer {
  return { kind: 'error', status, type, message }
}

/** A `tool_result` block of the request's last message. */
export interface ToolResult {
  tool_use_id: string
  is_error: boolean
  /** The result's text (text blocks joined with newlines). */
  content: string
}

/** What a script sees of one `POST /v1/messages` request. */
export interface MessagesRequest {
  body: Json
  /** How many `POST /v1/messages` requests came before this one (0 for the first). */
  index: number
  model: string
  /** The system prompt's text (blocks joined with newlines). */
  system: string
  /** Names of the tools offered. */
  tools: string[]
  /** All text of the first user message: the `-p` prompt for the main agent, the task prompt for a subagent. */
  firstUserText: string
  /** How many assistant messages the conversation holds: 0 for its first request. */
  turn: number
  /**
   * Whether Claude Code marks the request as a subagent's: its system prompt's first block (the billing header)
   * holds `cc_is_subagent=true` (seen with 2.1.337). Prefer matching the task prompt in
   * {@link firstUserText}: it also tells several subagents apart.
   */
  isSubagent: boolean
  /** The `tool_result` blocks of the last message (empty when it holds none). */
  toolResults: ToolResult[]
  /** Whether `needle` occurs in the system prompt or in the text of any message. */
  mentions(needle: string): boolean
}

/** Picks the answer for a request; `undefined` means the default text {@link FAKE_ANSWER}. */
export type Script = (request: MessagesRequest) => ScriptedAnswer | undefined

/** One agent of a {@link conversations} script. */
export interface ConversationScript {
  /** A name for diagnostics (recorded as {@link RecordedRequest.label}). */
  label: string
  /** Whether a request belongs to this conversation; the first match wins. */
  when: (request: MessagesRequest) => boolean
  /** The answer for each turn; turns past the end get the last one. */
  answers: ScriptedAnswer[]
}

/**
 * A script from per-conversation answer lists: a request gets the answer for its {@link MessagesRequest.turn}
 * from the first conversation it matches. Requests offering no tools (side requests for a title, a summary) and
 * requests no conversation matches get the default text.
 */
export function conversations(...scripts: ConversationScript[]): Script {
  return (request) => {
    if (request.tools.length === 0) return undefined
    const script = scripts.find((s) => s.when(request))
    if (script === undefined || script.answers.length === 0) return undefined
    const answer = script.answers[Math.min(request.turn, script.answers.length - 1)]!
    return { ...answer, label: script.label }
  }
}

export interface FakeAnthropic {
  /** `http://127.0.0.1:PORT`, for `ANTHROPIC_BASE_URL`. */
  readonly url: string
  readonly requests: RecordedRequest[]
  /** One line per request (`METHOD path -> answer(tools) [label] @ms`), for diagnostics. */
  summary(): string[]
  /** The definition (name, description, input_schema) of tool `name` as first offered, if it was. */
  toolDefinition(name: string): Json | undefined
  close(): Promise<void>
}

export interface FakeOptions {
  /** Scripted answers; without it, the default scenario described in the module comment. */
  script?: Script
  /**
   * Awaited before each `POST /v1/messages` request is answered (after the script chose the answer): to act at a
   * precise point of the conversation, e.g. stop the observatory before Claude Code runs the tool it is about to
   * be told to call. A rejection is ignored (the answer still goes).
   */
  beforeAnswer?: (request: MessagesRequest) => Promise<void> | void
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The text of a `content` value: a string, or the text of its text (and tool_result) blocks. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  const parts: string[] = []
  for (const block of content) {
    if (!isObject(block)) continue
    if (block.type === 'text' && typeof block.text === 'string') parts.push(block.text)
    else if (block.type === 'tool_result') parts.push(contentText(block.content))
  }
  return parts.join('\n')
}

function messagesOf(body: Json): Json[] {
  return Array.isArray(body.messages) ? body.messages.filter(isObject) : []
}

/** Whether any message's content holds a `tool_result` block. */
function hasToolResult(body: Json): boolean {
  return messagesOf(body).some(
    (message) =>
      Array.isArray(message.content) &&
      message.content.some((block) => isObject(block) && block.type === 'tool_result'),
  )
}

function toolNames(body: Json): string[] {
  if (!Array.isArray(body.tools)) return []
  return body.tools.filter(isObject).map((tool) => String(tool.name))
}

/** The `tool_result` blocks of the last message of a Messages request body (empty when it holds none). */
export function toolResultsOf(body: unknown): ToolResult[] {
  const last = isObject(body) ? messagesOf(body).at(-1) : undefined
  const results: ToolResult[] = []
  if (last === undefined || !Array.isArray(last.content)) return results
  for (const block of last.content) {
    if (isObject(block) && block.type === 'tool_result') {
      results.push({
        tool_use_id: String(block.tool_use_id),
        is_error: block.is_error === true,
        content: contentText(block.content),
      })
    }
  }
  return results
}

/** The script's view of a Messages request. */
function describe(body: Json, index: number): MessagesRequest {
  const messages = messagesOf(body)
  const system = contentText(body.system)
  const firstUser = messages.find((m) => m.role === 'user')
  const texts = [system, ...messages.map((m) => contentText(m.content))]
  return {
    body,
    index,
    model: model(body),
    system,
    tools: toolNames(body),
    firstUserText: firstUser === undefined ? '' : contentText(firstUser.content),
    turn: messages.filter((m) => m.role === 'assistant').length,
    isSubagent: system.includes('cc_is_subagent=true'),
    toolResults: toolResultsOf(body),
    mentions: (needle) => texts.some((t) => t.includes(needle)),
  }
}

/** An answer ready to send: its content blocks and stop reason. */
interface Answer {
  kind: 'tool_use' | 'text'
  blocks: Json[]
  stopReason: string
}

/** The default scenario's answer. */
function defaultAnswer(body: Json, id: number): Answer {
  if (!hasToolResult(body) && toolNames(body).includes('Bash')) {
    return {
      kind: 'tool_use',
      blocks: [
        {
          type: 'tool_use',
          id: `toolu_fake_${String(id).padStart(4, '0')}`,
          name: 'Bash',
          input: { command: FAKE_COMMAND, description: 'Print a greeting' },
        },
      ],
      stopReason: 'tool_use',
    }
  }
  return textAnswer(FAKE_ANSWER)
}

function textAnswer(value: string): Answer {
  return { kind: 'text', blocks: [{ type: 'text', text: value }], stopReason: 'end_turn' }
}

function scriptedAnswer(answer: ScriptedAnswer, id: number): Answer {
  if (answer.kind === 'text') return textAnswer(answer.text)
  if (answer.kind === 'error') throw new Error('an error answer has no content')
  const blocks: Json[] = answer.text === undefined ? [] : [{ type: 'text', text: answer.text }]
  answer.calls.forEach((call, i) => {
    blocks.push({
      type: 'tool_use',
      id: call.id ?? `toolu_fake_${String(id).padStart(4, '0')}_${i}`,
      name: call.name,
      input: call.input,
    })
  })
  return { kind: 'tool_use', blocks, stopReason: 'tool_use' }
}

const USAGE = { input_tokens: 12, output_tokens: 1 }

function model(body: Json): string {
  return typeof body.model === 'string' ? body.model : 'claude-fake'
}

/** The whole message, for a non-streaming request. */
function messageJson(body: Json, answer: Answer, id: number): Json {
  return {
    id: `msg_fake_${id}`,
    type: 'message',
    role: 'assistant',
    model: model(body),
    content: answer.blocks,
    stop_reason: answer.stopReason,
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 8 },
  }
}

/** The server-sent events of one content block at `index`. */
function blockEvents(block: Json, index: number): [string, Json][] {
  const events: [string, Json][] = []
  if (block.type === 'tool_use') {
    const { input, ...start } = block
    const json = JSON.stringify(input)
    const half = Math.floor(json.length / 2)
    events.push(
      [
        'content_block_start',
        { type: 'content_block_start', index, content_block: { ...start, input: {} } },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: json.slice(0, half) },
        },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: json.slice(half) },
        },
      ],
    )
  } else {
    events.push(
      [
        'content_block_start',
        { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } },
      ],
    )
  }
  events.push(['content_block_stop', { type: 'content_block_stop', index }])
  return events
}

/** The server-sent events of a streamed message. */
function messageEvents(body: Json, answer: Answer, id: number): string {
  const events: [string, Json][] = [
    [
      'message_start',
      {
        type: 'message_start',
        message: {
          id: `msg_fake_${id}`,
          type: 'message',
          role: 'assistant',
          model: model(body),
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: USAGE,
        },
      },
    ],
  ]
  answer.blocks.forEach((block, index) => {
    events.push(...blockEvents(block, index))
  })
  events.push(
    [
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: answer.stopReason, stop_sequence: null },
        usage: { output_tokens: 8 },
      },
    ],
    ['message_stop', { type: 'message_stop' }],
  )
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('')
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined
  const text = raw.toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const data = JSON.stringify(value)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(data),
    'request-id': 'req_fake',
  })
  res.end(data)
}

/** Send a chosen answer: streamed (server-sent events) or as one JSON message, as the request asked. */
function sendAnswer(res: http.ServerResponse, body: Json, answer: Answer, id: number): void {
  if (body.stream === true) {
    const data = messageEvents(body, answer, id)
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      'Content-Length': Buffer.byteLength(data),
      'request-id': 'req_fake',
    })
    res.end(data)
  } else {
    sendJson(res, 200, messageJson(body, answer, id))
  }
}

/** Start the fake API on 127.0.0.1, an ephemeral port. */
export async function startFakeAnthropic(options: FakeOptions = {}): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = []
  let count = 0
  let messagesCount = 0
  const started = Date.now()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const id = ++count
      const path = req.url ?? '/'
      const pathname = path.split('?')[0]
      const body = parseBody(Buffer.concat(chunks))
      const record: RecordedRequest = {
        method: req.method ?? '',
        path,
        headers: req.headers,
        body,
        at: Date.now() - started,
        answer: 'other',
      }
      requests.push(record)
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 0 })
        res.end()
        return
      }
      if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
        record.answer = 'count_tokens'
        sendJson(res, 200, { input_tokens: 12 })
        return
      }
      if (req.method === 'GET' && pathname === '/v1/models') {
        sendJson(res, 200, { data: [], has_more: false, first_id: null, last_id: null })
        return
      }
      if (req.method === 'POST' && pathname === '/v1/messages' && isObject(body)) {
        const index = messagesCount++
        let answer: Answer
        if (options.script === undefined) {
          answer = defaultAnswer(body, id)
        } else {
          let scripted: ScriptedAnswer | undefined
          try {
            scripted = options.script(describe(body, index))
          } catch (error) {
            record.answer = 'error'
            sendJson(res, 500, {
              type: 'error',
              error: { type: 'api_error', message: `fake script failed: ${String(error)}` },
            })
            return
          }
          if (scripted?.label !== undefined) record.label = scripted.label
          if (scripted?.kind === 'error') {
            record.answer = 'error'
            sendJson(res, scripted.status, {
              type: 'error',
              error: { type: scripted.type, message: scripted.message },
            })
            return
          }
          answer = scripted === undefined ? textAnswer(FAKE_ANSWER) : scriptedAnswer(scripted, id)
        }
        record.answer = answer.kind
        if (answer.kind === 'tool_use') {
          record.tools = answer.blocks
            .filter((b) => b.type === 'tool_use')
            .map((b) => String(b.name))
        }
        const send = (): void => sendAnswer(res, body, answer, id)
        if (options.beforeAnswer === undefined) {
          send()
        } else {
          Promise.resolve()
            .then(() => options.beforeAnswer?.(describe(body, index)))
            .catch(() => {})
            .then(send)
        }
        return
      }
      sendJson(res, 200, {})
    })
  })

  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    summary: () =>
      requests.map((r) => {
        const label = r.label === undefined ? '' : ` [${r.label}]`
        const tools = r.tools === undefined ? '' : `(${r.tools.join(',')})`
        return `${r.method} ${r.path} -> ${r.answer}${tools}${label} @${r.at}ms`
      }),
    toolDefinition: (name) => {
      for (const r of requests) {
        if (!isObject(r.body) || !Array.isArray(r.body.tools)) continue
        const tool = r.body.tools.find((t) => isObject(t) && t.name === name)
        if (isObject(tool)) return tool
      }
      return undefined
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
