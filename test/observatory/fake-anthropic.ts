/**
 * A fake Anthropic Messages API for driving the real Claude Code CLI offline (`ANTHROPIC_BASE_URL`).
 *
 * `POST /v1/messages` (any query, e.g. `?beta=true`):
 * - a conversation whose messages hold no `tool_result` yet and whose `tools` offer `Bash` is answered with one
 *   `tool_use` block calling Bash with {@link FAKE_COMMAND} (stop_reason `tool_use`);
 * - anything else (the follow-up carrying the `tool_result`, or a side request such as a title or a summary
 *   asked of a small model without tools) is answered with a text block "done" (stop_reason `end_turn`).
 *
 * With `"stream": true` the answer is a server-sent event stream in the Messages API's order: `message_start`,
 * then per content block `content_block_start`, `content_block_delta` (`text_delta` or `input_json_delta`),
 * `content_block_stop`, then `message_delta` (stop_reason, usage) and `message_stop`. Without it, the same
 * message as one JSON object.
 *
 * `POST /v1/messages/count_tokens` gets `{"input_tokens": N}`; any other request gets 200 `{}`. Every request is
 * recorded (method, path, parsed body) for assertions and for a failure message.
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
  /** What the fake answered: `tool_use`, `text`, `count_tokens` or `other`. */
  answer: string
}

export interface FakeAnthropic {
  /** `http://127.0.0.1:PORT`, for `ANTHROPIC_BASE_URL`. */
  readonly url: string
  readonly requests: RecordedRequest[]
  /** One line per request (`METHOD path -> answer`), for diagnostics. */
  summary(): string[]
  close(): Promise<void>
}

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Whether any message's content holds a `tool_result` block. */
function hasToolResult(body: Json): boolean {
  const messages = Array.isArray(body.messages) ? body.messages : []
  return messages.some(
    (message) =>
      isObject(message) &&
      Array.isArray(message.content) &&
      message.content.some((block) => isObject(block) && block.type === 'tool_result'),
  )
}

/** Whether the request offers a tool named `name`. */
function offersTool(body: Json, name: string): boolean {
  return (
    Array.isArray(body.tools) && body.tools.some((tool) => isObject(tool) && tool.name === name)
  )
}

interface Answer {
  kind: 'tool_use' | 'text'
  block: Json
  stopReason: string
}

function answerFor(body: Json, id: number): Answer {
  if (!hasToolResult(body) && offersTool(body, 'Bash')) {
    return {
      kind: 'tool_use',
      block: {
        type: 'tool_use',
        id: `toolu_fake_${String(id).padStart(4, '0')}`,
        name: 'Bash',
        input: { command: FAKE_COMMAND, description: 'Print a greeting' },
      },
      stopReason: 'tool_use',
    }
  }
  return { kind: 'text', block: { type: 'text', text: FAKE_ANSWER }, stopReason: 'end_turn' }
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
    content: [answer.block],
    stop_reason: answer.stopReason,
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 8 },
  }
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
  if (answer.kind === 'tool_use') {
    const { input, ...start } = answer.block
    const json = JSON.stringify(input)
    const half = Math.floor(json.length / 2)
    events.push(
      [
        'content_block_start',
        { type: 'content_block_start', index: 0, content_block: { ...start, input: {} } },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: json.slice(0, half) },
        },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: json.slice(half) },
        },
      ],
    )
  } else {
    events.push(
      [
        'content_block_start',
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: answer.block.text },
        },
      ],
    )
  }
  events.push(
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
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

/** Start the fake API on 127.0.0.1, an ephemeral port. */
export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = []
  let count = 0
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
        answer: 'other',
      }
      requests.push(record)
      if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
        record.answer = 'count_tokens'
        sendJson(res, 200, { input_tokens: 12 })
        return
      }
      if (req.method === 'POST' && pathname === '/v1/messages' && isObject(body)) {
        const answer = answerFor(body, id)
        record.answer = answer.kind
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
    summary: () => requests.map((r) => `${r.method} ${r.path} -> ${r.answer}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
