/**
 * The JSON API, the live stream's replay and the store, end to end through the real CLI: sessions and their
 * detail through a whole session's life, `--stale`, the events list (filters, cursor, full-text search, lines
 * byte for byte), tool statistics, a restart on the same store, store errors at start-up, SSE ids with
 * Last-Event-ID, the TCP guards on the API, `--no-db`, and `observatory db import|info|prune`.
 *
 * Every test starts its own observatory (`--port 0`, its own `--db` in a temporary directory), so they run
 * concurrently.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type {
  SessionDetail,
  SessionSummary,
  ToolCall,
} from '../../src/observatory/sessions/types.ts'
import {
  CURL,
  completeLines,
  eventually,
  postEvent,
  request,
  runCli,
  runCurlHook,
  sleep,
  startCli,
  type Target,
  tempDir,
} from './helpers.ts'

/** The longest any single wait in this file may take. */
const WAIT = 10_000

interface SessionList {
  sessions: SessionSummary[]
  total: number
  now: number
  stale_after_ms: number
}

interface ApiEvent {
  id: number
  ts: string
  event: string
  session_id: string | null
  tool_name: string | null
  tool_use_id: string | null
  agent_id: string | null
  data: Record<string, unknown>
}

interface EventPage {
  events: ApiEvent[]
  next: number | null
}

interface ToolRow {
  tool_name: string
  calls: number
  failures: number
  other: number
  p50_ms: number | null
  p95_ms: number | null
}

interface ToolsReply {
  window_ms: number
  since: number
  tools: ToolRow[]
}

/** GET `path`, expect 200 and JSON; the parsed body. */
async function getJson<T>(
  target: Target,
  path: string,
  headers: Record<string, string> = {},
): Promise<T> {
  const reply = await request(target, { path, headers })
  assert.equal(reply.status, 200, `GET ${path}: ${reply.status} ${reply.body.slice(0, 500)}`)
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/, `GET ${path}`)
  return JSON.parse(reply.body) as T
}

/** GET `path`, expect `status` and a JSON body with an `error` message; the message. */
async function getError(target: Target, path: string, status: number): Promise<string> {
  const reply = await request(target, { path })
  assert.equal(reply.status, status, `GET ${path}: ${reply.body.slice(0, 500)}`)
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/, `GET ${path}`)
  const body = JSON.parse(reply.body) as { error?: unknown }
  assert.equal(typeof body.error, 'string', `GET ${path}: an error message in ${reply.body}`)
  return body.error as string
}

/** POST a hook event and expect the 200. */
async function send(target: Target, event: string, payload: unknown): Promise<void> {
  const reply = await postEvent(target, event, payload)
  assert.equal(reply.status, 200, `POST ${event}: ${reply.status} ${reply.body}`)
}

function ids(page: EventPage): number[] {
  return page.events.map((e) => e.id)
}

/** Every stored event, oldest first. */
async function allEvents(target: Target, query = ''): Promise<ApiEvent[]> {
  const page = await getJson<EventPage>(target, `/api/events?limit=1000${query}`)
  assert.equal(page.next, null, 'fewer than 1000 events')
  return page.events.reverse()
}

function summaryOf(list: SessionList, id: string): SessionSummary {
  const found = list.sessions.find((s) => s.session_id === id)
  assert.ok(found, `session ${id} in ${JSON.stringify(list.sessions.map((s) => s.session_id))}`)
  return found
}

function sessionIds(list: SessionList): string[] {
  return list.sessions.map((s) => s.session_id)
}

function callOf(detail: SessionDetail, id: string): ToolCall {
  const call = detail.tool_calls.find((c) => c.tool_use_id === id)
  assert.ok(call, `tool call ${id} in ${detail.session_id}`)
  return call
}

/** Poll an async check every 50 ms until it holds; fail naming `what` after `ms`. */
async function until(check: () => Promise<boolean>, what: string, ms = WAIT): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(50)
  }
}

/** One line on stderr, no stack trace. */
function assertOneLine(stderr: string, what: string): string {
  const lines = stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${stderr}`)
  assert.doesNotMatch(stderr, /^\s+at /m, `${what}: no stack trace`)
  return lines[0]!
}

// ---- Server-Sent Events -------------------------------------------------------------------------------

interface SseEvent {
  id: string | undefined
  event: string | undefined
  data: string
}

/** A client of `GET /events` that keeps everything it received and parses it on demand. */
class SseClient {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly #req: http.ClientRequest
  #text = ''

  private constructor(req: http.ClientRequest, res: http.IncomingMessage) {
    this.#req = req
    this.status = res.statusCode ?? 0
    this.headers = res.headers
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      this.#text += chunk
    })
    res.on('error', () => {})
  }

  static open(
    t: TestContext,
    port: number,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port, path, headers, agent: false, timeout: WAIT },
        (res) => {
          const client = new SseClient(req, res)
          t.after(() => client.close())
          resolve(client)
        },
      )
      req.on('timeout', () => req.destroy(new Error('no response headers in time')))
      req.on('error', reject)
    })
  }

  get text(): string {
    return this.#text
  }

  /** The complete events so far (comments and blocks without data left out). */
  events(): SseEvent[] {
    const out: SseEvent[] = []
    const blocks = this.#text.split('\n\n')
    blocks.pop() // incomplete
    for (const block of blocks) {
      let id: string | undefined
      let event: string | undefined
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        let value = colon === -1 ? '' : line.slice(colon + 1)
        if (value.startsWith(' ')) value = value.slice(1)
        if (field === 'id') id = value
        else if (field === 'event') event = value
        else if (field === 'data') data.push(value)
      }
      if (data.length > 0) out.push({ id, event, data: data.join('\n') })
    }
    return out
  }

  async waitFor(check: (events: SseEvent[]) => boolean, what: string): Promise<SseEvent[]> {
    const deadline = Date.now() + WAIT
    while (!check(this.events())) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; stream so far:\n${this.#text.slice(-3000)}`)
      }
      await sleep(20)
    }
    return this.events()
  }

  close(): void {
    this.#req.destroy()
  }
}

// ---- the tests ----------------------------------------------------------------------------------------

describe('observatory API, SSE replay and store, end to end', {
  concurrency: true,
  timeout: 120_000,
}, () => {
  it('a session’s life through /api/sessions and /api/sessions/{id}; the session filters', async (t) => {
    const dir = tempDir(t)
    const obs = await startCli(t, [
      '--socket',
      `${dir}/in.sock`,
      '--port',
      '0',
      '--db',
      `${dir}/e.db`,
      '--quiet',
    ])
    const S = 'life-1'
    const base = {
      session_id: S,
      transcript_path: '/home/u/.claude/projects/alpha/life-1.jsonl',
      cwd: '/work/projects/alpha-proj',
      permission_mode: 'default',
    }
    const hook = (event: string, payload: Record<string, unknown>, via: Target = obs.tcp) =>
      send(via, event, { ...base, hook_event_name: event, ...payload })
    const look = () => getJson<SessionDetail>(obs.tcp, `/api/sessions/${S}`)
    const expectState = async (
      state: string,
      tool: string | null,
      step: string,
    ): Promise<SessionDetail> => {
      const s = await look()
      assert.equal(s.state, state, `state ${step}`)
      assert.equal(s.state_tool, tool, `state_tool ${step}`)
      return s
    }

    await hook('SessionStart', { source: 'startup', model: 'claude-opus-4-1' })
    let s = await expectState('starting', null, 'after SessionStart')
    assert.equal(s.source, 'startup')
    assert.equal(s.model, 'claude-opus-4-1')
    assert.equal(s.cwd, '/work/projects/alpha-proj')
    assert.equal(s.project, 'alpha-proj')
    assert.equal(s.permission_mode, 'default')
    assert.equal(s.counts.events, 1)

    // Over the Unix socket, as the installed hooks send.
    await hook(
      'UserPromptSubmit',
      { prompt_id: 'p-1', prompt: 'List the files, then read the README' },
      obs.unix,
    )
    s = await expectState('thinking', null, 'after UserPromptSubmit')
    assert.equal(s.last_prompt, 'List the files, then read the README')
    assert.equal(s.counts.turns, 1)

    const ls = { command: 'ls -la', description: 'List files' }
    await hook('PreToolUse', {
      prompt_id: 'p-1',
      tool_name: 'Bash',
      tool_use_id: 'tu-bash-1',
      tool_input: ls,
    })
    s = await expectState('running tool', 'Bash', 'after PreToolUse Bash')
    assert.equal(s.current_tool?.tool_use_id, 'tu-bash-1')
    assert.equal(s.current_tool?.tool_name, 'Bash')
    assert.match(s.current_tool?.input_summary ?? '', /ls -la/)

    // The PermissionRequest through the hook's own curl command, over the Unix socket.
    const permission = {
      ...base,
      hook_event_name: 'PermissionRequest',
      tool_name: 'Bash',
      tool_input: ls,
    }
    if (CURL !== undefined) {
      const curl = await runCurlHook(obs.unix, 'PermissionRequest', JSON.stringify(permission))
      assert.equal(curl.code, 0, `curl: ${curl.stderr}`)
    } else {
      await send(obs.unix, 'PermissionRequest', permission)
    }
    s = await expectState('waiting for permission', 'Bash', 'after PermissionRequest')
    assert.equal(s.counts.pending_permissions, 1)

    // An event the model does not know: activity only.
    await hook('FileChanged', {
      file_path: '/work/projects/alpha-proj/README.md',
      change: 'modified',
    })
    s = await expectState('waiting for permission', 'Bash', 'after FileChanged')
    assert.equal(s.last_event, 'FileChanged')
    assert.equal(s.counts.events, 5)
    assert.equal(s.counts.pending_permissions, 1)

    await hook('PostToolUse', {
      prompt_id: 'p-1',
      tool_name: 'Bash',
      tool_use_id: 'tu-bash-1',
      tool_input: ls,
      tool_response: { stdout: 'README.md\n', stderr: '', interrupted: false },
      duration_ms: 42,
    })
    s = await expectState('thinking', null, 'after PostToolUse Bash')
    assert.equal(s.counts.pending_permissions, 0)
    assert.equal(s.current_tool, null)

    await hook('PreToolUse', {
      prompt_id: 'p-1',
      tool_name: 'Read',
      tool_use_id: 'tu-read-1',
      tool_input: { file_path: '/nope/README.md' },
    })
    await expectState('running tool', 'Read', 'after PreToolUse Read')
    await hook('PostToolUseFailure', {
      prompt_id: 'p-1',
      tool_name: 'Read',
      tool_use_id: 'tu-read-1',
      tool_input: { file_path: '/nope/README.md' },
      error: 'File does not exist: /nope/README.md',
    })
    s = await expectState('thinking', null, 'after PostToolUseFailure')
    assert.equal(s.counts.tool_failures, 1)

    // A subagent, started by the main agent's Task call.
    await hook('PreToolUse', {
      prompt_id: 'p-1',
      tool_name: 'Task',
      tool_use_id: 'tu-task-1',
      tool_input: { subagent_type: 'Explore', description: 'Find tests', prompt: 'Find the tests' },
    })
    await expectState('running tool', 'Task', 'after PreToolUse Task')
    await hook('SubagentStart', { agent_id: 'ag-1', agent_type: 'Explore' })
    s = await expectState('running tool', 'Task', 'after SubagentStart')
    assert.equal(s.counts.subagents, 1)
    await hook('PreToolUse', {
      agent_id: 'ag-1',
      agent_type: 'Explore',
      tool_name: 'Grep',
      tool_use_id: 'tu-grep-1',
      tool_input: { pattern: 'test\\(' },
    })
    await expectState('running tool', 'Grep', 'after the subagent’s PreToolUse')
    await hook('PostToolUse', {
      agent_id: 'ag-1',
      agent_type: 'Explore',
      tool_name: 'Grep',
      tool_use_id: 'tu-grep-1',
      tool_input: { pattern: 'test\\(' },
      tool_response: { numFiles: 3 },
      duration_ms: 7,
    })
    await expectState('running tool', 'Task', 'after the subagent’s PostToolUse')
    await hook('SubagentStop', { agent_id: 'ag-1', agent_type: 'Explore' })
    await hook('PostToolUse', {
      prompt_id: 'p-1',
      tool_name: 'Task',
      tool_use_id: 'tu-task-1',
      tool_input: { subagent_type: 'Explore', description: 'Find tests', prompt: 'Find the tests' },
      tool_response: { content: [{ type: 'text', text: '3 test files' }] },
      duration_ms: 1500,
    })
    await expectState('thinking', null, 'after PostToolUse Task')
    await hook('Stop', { prompt_id: 'p-1', stop_hook_active: false })
    await expectState('waiting for input', null, 'after Stop')
    await hook('SessionEnd', { reason: 'prompt_input_exit' })
    s = await expectState('ended', null, 'after SessionEnd')
    assert.equal(s.state_reason, 'prompt_input_exit')

    // The detail, checked against the times the store gave the events.
    const events = await allEvents(obs.tcp, `&session=${S}`)
    assert.equal(events.length, 16)
    const at = (name: string, nth = 0): number => {
      const found = events.filter((e) => e.event === name)[nth]
      assert.ok(found, `${name} #${nth}`)
      return Date.parse(found.ts)
    }
    assert.deepEqual(s.counts, {
      events: 16,
      turns: 1,
      tool_calls: 4,
      tool_failures: 1,
      subagents: 1,
      pending_permissions: 0,
    })
    assert.equal(s.last_event, 'SessionEnd')
    assert.equal(s.last_event_time, at('SessionEnd'))
    assert.equal(s.started, at('SessionStart'))
    assert.equal(s.state_since, at('SessionEnd'))
    assert.deepEqual(
      s.tool_calls.map((c) => c.tool_use_id),
      ['tu-bash-1', 'tu-read-1', 'tu-task-1', 'tu-grep-1'],
    )
    const bash = callOf(s, 'tu-bash-1')
    assert.deepEqual(bash, {
      tool_use_id: 'tu-bash-1',
      session_id: S,
      agent_id: null,
      prompt_id: 'p-1',
      tool_name: 'Bash',
      input_summary: bash.input_summary,
      started: at('PreToolUse', 0),
      ended: at('PostToolUse', 0),
      duration_ms: 42,
      outcome: 'ok',
      error: null,
      permission: { requested: at('PermissionRequest'), resolved: at('PostToolUse', 0) },
    })
    assert.match(bash.input_summary, /ls -la/)
    const read = callOf(s, 'tu-read-1')
    assert.equal(read.outcome, 'failed')
    assert.equal(read.error, 'File does not exist: /nope/README.md')
    assert.equal(read.ended, at('PostToolUseFailure'))
    assert.equal(
      read.duration_ms,
      read.ended! - read.started!,
      'ended − started without duration_ms',
    )
    assert.equal(read.permission, null)
    const task = callOf(s, 'tu-task-1')
    assert.equal(task.outcome, 'ok')
    assert.equal(task.duration_ms, 1500)
    const grep = callOf(s, 'tu-grep-1')
    assert.equal(grep.agent_id, 'ag-1')
    assert.equal(grep.outcome, 'ok')
    assert.equal(grep.duration_ms, 7)
    assert.deepEqual(s.subagents, [
      {
        agent_id: 'ag-1',
        agent_type: 'Explore',
        parent_tool_use_id: 'tu-task-1',
        parent_agent_id: null,
        started: at('SubagentStart'),
        ended: at('SubagentStop'),
        state: 'done',
        tool_calls: 1,
      },
    ])
    assert.deepEqual(s.turns, [
      {
        prompt_id: 'p-1',
        prompt: 'List the files, then read the README',
        started: at('UserPromptSubmit'),
        ended: at('Stop'),
        duration_ms: at('Stop') - at('UserPromptSubmit'),
        outcome: 'done',
        tool_calls: ['tu-bash-1', 'tu-read-1', 'tu-task-1', 'tu-grep-1'],
      },
    ])

    // Two more sessions for the filters: one waiting for input (over the Unix socket), one starting.
    const two = { session_id: 'life-2', cwd: '/work/projects/beta-app' }
    await send(obs.unix, 'SessionStart', { ...two, source: 'resume' })
    await send(obs.unix, 'UserPromptSubmit', { ...two, prompt_id: 'q-1', prompt: 'hi' })
    await send(obs.unix, 'Stop', { ...two, prompt_id: 'q-1' })
    await send(obs.tcp, 'SessionStart', {
      session_id: 'life-3',
      cwd: '/srv/gamma',
      source: 'startup',
    })

    const all = await getJson<SessionList>(obs.tcp, '/api/sessions')
    assert.deepEqual(sessionIds(all), ['life-3', 'life-2', 'life-1'], 'most recently active first')
    assert.equal(all.total, 3)
    assert.equal(all.stale_after_ms, 600_000)
    assert.equal(summaryOf(all, 'life-2').state, 'waiting for input')
    assert.equal(summaryOf(all, 'life-3').state, 'starting')
    // The list's summary is the detail's, without the lists.
    const { turns: _turns, tool_calls: _calls, subagents: _subagents, ...summary } = s
    assert.deepEqual(summaryOf(all, S), summary)

    const filtered = async (query: string): Promise<string[]> =>
      sessionIds(await getJson<SessionList>(obs.tcp, `/api/sessions?${query}`))
    assert.deepEqual(await filtered('state=ended'), ['life-1'])
    assert.deepEqual(await filtered('state=waiting%20for%20input,ended'), ['life-2', 'life-1'])
    assert.deepEqual(await filtered('state=ended&state=starting'), ['life-3', 'life-1'])
    assert.deepEqual(await filtered('state=running%20tool'), [])
    assert.deepEqual(await filtered('project=alpha'), ['life-1'])
    assert.deepEqual(await filtered('project=BETA-APP'), ['life-2'], 'case-insensitive')
    assert.deepEqual(await filtered('project=%2Fwork%2Fprojects'), ['life-2', 'life-1'], 'the cwd')
    assert.deepEqual(await filtered('project=nowhere'), [])
    assert.deepEqual(await filtered('since=1h'), ['life-3', 'life-2', 'life-1'])
    assert.deepEqual(await filtered(`since=${at('SessionEnd') + 1}`), ['life-3', 'life-2'])
    assert.deepEqual(await filtered(`since=${Date.now() + 3_600_000}`), [])
    assert.deepEqual(await filtered('state=ended&project=beta'), [])
    const limited = await getJson<SessionList>(obs.tcp, '/api/sessions?limit=1')
    assert.deepEqual(sessionIds(limited), ['life-3'])
    assert.equal(limited.total, 3, 'total counts the matches before the limit')

    assert.match(await getError(obs.tcp, '/api/sessions?state=nope', 400), /state: 'nope'/)
    assert.match(await getError(obs.tcp, '/api/sessions?since=yesterday', 400), /since/)
    assert.match(await getError(obs.tcp, '/api/sessions?limit=0', 400), /limit/)
    assert.equal(await getError(obs.tcp, '/api/sessions/no-such-session', 404), 'no such session')
  })

  it('--stale 1s: a silent working session reads as stale, and comes back with its next event', async (t) => {
    const dir = tempDir(t)
    const obs = await startCli(t, [
      '--port',
      '0',
      '--db',
      `${dir}/e.db`,
      '--stale',
      '1s',
      '--quiet',
    ])
    const one = { session_id: 'st-1', cwd: '/p/one' }
    const two = { session_id: 'st-2', cwd: '/p/two' }
    await send(obs.tcp, 'SessionStart', { ...one, source: 'startup' })
    await send(obs.tcp, 'UserPromptSubmit', { ...one, prompt_id: 'p', prompt: 'go' })
    await send(obs.tcp, 'PreToolUse', {
      ...one,
      tool_name: 'Bash',
      tool_use_id: 'tu-s1',
      tool_input: { command: 'sleep 600' },
    })
    await send(obs.tcp, 'SessionStart', { ...two, source: 'startup' })
    await send(obs.tcp, 'UserPromptSubmit', { ...two, prompt_id: 'p', prompt: 'hi' })
    await send(obs.tcp, 'Stop', { ...two, prompt_id: 'p' })

    /** The state, which must be `live` unless more than 1 s passed since the session's last event. */
    const expectLive = async (id: string, live: string): Promise<SessionSummary> => {
      const list = await getJson<SessionList>(obs.tcp, '/api/sessions')
      assert.equal(list.stale_after_ms, 1000)
      const s = summaryOf(list, id)
      const silent = list.now - (s.last_event_time ?? 0)
      assert.equal(s.state, silent > 1000 ? 'stale' : live, `${id} after ${silent} ms of silence`)
      return s
    }
    await expectLive('st-1', 'running tool')

    let stale: SessionSummary | undefined
    await until(async () => {
      const list = await getJson<SessionList>(obs.tcp, '/api/sessions')
      stale = summaryOf(list, 'st-1')
      return stale.state === 'stale'
    }, 'st-1 to read as stale')
    assert.ok(stale)
    assert.equal(stale.state_since, stale.last_event_time! + 1000, 'stale since last event + 1 s')
    assert.equal(stale.state_tool, 'Bash')
    assert.equal(stale.current_tool?.tool_use_id, 'tu-s1')
    // Waiting for input is never stale, however long the silence.
    let list: SessionList | undefined
    await until(async () => {
      list = await getJson<SessionList>(obs.tcp, '/api/sessions')
      return list.now - summaryOf(list, 'st-2').last_event_time! > 1000
    }, 'st-2 silent for more than 1 s')
    assert.equal(summaryOf(list!, 'st-2').state, 'waiting for input')
    assert.deepEqual(sessionIds(await getJson<SessionList>(obs.tcp, '/api/sessions?state=stale')), [
      'st-1',
    ])
    assert.equal(
      (await getJson<SessionDetail>(obs.tcp, '/api/sessions/st-1')).state,
      'stale',
      'the detail too',
    )

    await send(obs.tcp, 'PostToolUse', {
      ...one,
      tool_name: 'Bash',
      tool_use_id: 'tu-s1',
      tool_input: { command: 'sleep 600' },
      duration_ms: 1234,
    })
    await expectLive('st-1', 'thinking')
    await send(obs.tcp, 'PreToolUse', {
      ...one,
      tool_name: 'Read',
      tool_use_id: 'tu-s2',
      tool_input: { file_path: '/p/one/x' },
    })
    const back = await expectLive('st-1', 'running tool')
    assert.equal(back.state_tool, 'Read')
  })

  it('/api/events: newest first, cursor, filters, full-text search, lines byte for byte', async (t) => {
    const dir = tempDir(t)
    const obs = await startCli(t, [
      '--socket',
      `${dir}/in.sock`,
      '--port',
      '0',
      '--db',
      `${dir}/e.db`,
      '--quiet',
    ])
    const A = { session_id: 'ev-A', cwd: '/p/a' }
    const B = { session_id: 'ev-B', cwd: '/p/b' }
    const grep = { command: 'grep -rn zebrafish src/', description: 'Search' }
    const issue = { title: 'Crash on start', body: 'brown quick, not the other way' }
    // Numbers that a parse and re-encode would change, and escapes.
    const numbers =
      '{"session_id":"ev-A","hook_event_name":"Notification","message":"numbers",' +
      '"float":1.0,"big":12345678901234567890,"neg_zero":-0.0,"exp":1.5e3,"tiny":1e-7,' +
      '"text":"caf\\u00e9 \u2615 \ud834\udd1e \\"quoted\\" back\\\\slash\\nnew line"}'
    const sequence: [Target, string, unknown][] = [
      [obs.tcp, 'SessionStart', { ...A, source: 'startup' }],
      [
        obs.tcp,
        'UserPromptSubmit',
        { ...A, prompt_id: 'p', prompt: 'the quick brown fox jumps over the lazy dog' },
      ],
      [obs.unix, 'PreToolUse', { ...A, tool_name: 'Bash', tool_use_id: 'tu-1', tool_input: grep }],
      [
        obs.unix,
        'PostToolUse',
        { ...A, tool_name: 'Bash', tool_use_id: 'tu-1', tool_input: grep, duration_ms: 12 },
      ],
      [
        obs.tcp,
        'PreToolUse',
        { ...A, tool_name: 'mcp__github__create_issue', tool_use_id: 'tu-2', tool_input: issue },
      ],
      [
        obs.tcp,
        'PostToolUse',
        { ...A, tool_name: 'mcp__github__create_issue', tool_use_id: 'tu-2', tool_input: issue },
      ],
      [
        obs.tcp,
        'PreToolUse',
        {
          ...A,
          tool_name: 'mcp__github__create_pull_request',
          tool_use_id: 'tu-3',
          tool_input: { title: 'Fix' },
        },
      ],
      [obs.tcp, 'Notification', numbers],
      [obs.unix, 'SessionStart', { ...B, source: 'startup' }],
      [obs.unix, 'UserPromptSubmit', { ...B, prompt_id: 'q', prompt: 'fox quick brown' }],
      [
        obs.unix,
        'PreToolUse',
        { ...B, tool_name: 'Bash', tool_use_id: 'tu-4', tool_input: { command: 'echo hello' } },
      ],
      [
        obs.unix,
        'PostToolUseFailure',
        {
          ...B,
          tool_name: 'Bash',
          tool_use_id: 'tu-4',
          tool_input: { command: 'echo hello' },
          error: 'Exit code 1',
        },
      ],
      [obs.unix, 'Stop', { ...B, prompt_id: 'q' }],
      [obs.tcp, 'Stop', { ...A, prompt_id: 'p' }],
    ]
    for (const [target, event, payload] of sequence) await send(target, event, payload)
    const lines = await obs.waitForStdoutLines(sequence.length)
    assert.equal(lines.length, 14)
    assert.match(lines[7]!, /"float":1\.0,"big":12345678901234567890,/, 'stdout keeps the numbers')

    // Newest first; ids in the order the events came, one per stdout line.
    const rawAll = await request(obs.tcp, { path: '/api/events?limit=1000' })
    assert.equal(rawAll.status, 200)
    const newest = JSON.parse(rawAll.body) as EventPage
    assert.equal(newest.events.length, 14)
    assert.equal(newest.next, null)
    const byAge = [...newest.events].reverse()
    const id = byAge.map((e) => e.id) // id[i]: the event of stdout line i
    for (let i = 1; i < id.length; i++) assert.ok(id[i]! > id[i - 1]!, 'ids grow')
    assert.deepEqual(
      byAge.map((e) => e.event),
      sequence.map(([, event]) => event),
    )
    assert.equal(byAge[4]!.tool_name, 'mcp__github__create_issue')
    assert.equal(byAge[4]!.tool_use_id, 'tu-2')
    assert.equal(byAge[8]!.session_id, 'ev-B')
    // `data` is the line the observatory printed, verbatim (numbers and escapes as they were).
    for (const line of lines) {
      assert.ok(rawAll.body.includes(`"data":${line}}`), `the stdout line verbatim: ${line}`)
    }
    for (let i = 0; i < lines.length; i++) {
      const one = await request(obs.tcp, { path: `/api/events/${id[i]}` })
      assert.equal(one.status, 200)
      assert.equal(one.headers['content-type'], 'application/json')
      assert.equal(one.body, lines[i], `/api/events/${id[i]} is stdout line ${i}, no newline`)
    }
    assert.equal(await getError(obs.tcp, `/api/events/${id[13]! + 1000}`, 404), 'no such event')
    assert.equal(await getError(obs.tcp, '/api/events/0', 404), 'no such event')
    // A path under /api/ that no route serves is unknown, whatever the method: never a 405 because hooks are
    // accepted on any path, and never an event stored from a POST to a mistyped API path.
    for (const path of ['/api/events/abc', '/api/events/1.5', '/api/events/-1', '/api/nope']) {
      assert.equal(await getError(obs.tcp, path, 404), 'no such API route (see /docs)', path)
    }
    const posted = await request(obs.tcp, {
      method: 'POST',
      path: '/api/sessions',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    })
    assert.equal(posted.status, 404)

    // The cursor: three pages, no gap, no duplicate.
    const pages: number[][] = []
    let next: number | null = null
    do {
      const page: EventPage = await getJson<EventPage>(
        obs.tcp,
        `/api/events?limit=5${next === null ? '' : `&before=${next}`}`,
      )
      pages.push(ids(page))
      assert.ok(pages.length <= 3, 'at most three pages')
      next = page.next
      if (next !== null) assert.equal(next, page.events[page.events.length - 1]!.id)
    } while (next !== null)
    assert.deepEqual(
      pages.map((p) => p.length),
      [5, 5, 4],
    )
    assert.deepEqual(pages.flat(), [...id].reverse())
    // `after`: oldest first.
    const forward = await getJson<EventPage>(obs.tcp, `/api/events?after=${id[2]}&limit=3`)
    assert.deepEqual(ids(forward), id.slice(3, 6))
    assert.equal(forward.next, id[5])

    const only = async (query: string): Promise<number[]> =>
      ids(await getJson<EventPage>(obs.tcp, `/api/events?${query}`))
    const pick = (...indexes: number[]): number[] => indexes.map((i) => id[i]!).reverse()
    assert.deepEqual(await only('session=ev-B'), pick(8, 9, 10, 11, 12))
    assert.deepEqual(await only('session=ev-'), [], 'a session id is matched whole')
    assert.deepEqual(await only('event=PreToolUse,PostToolUse'), pick(2, 3, 4, 5, 6, 10))
    assert.deepEqual(await only('event=PreToolUse&event=PostToolUseFailure'), pick(2, 4, 6, 10, 11))
    assert.deepEqual(await only('tool=bash'), pick(2, 3, 10, 11), 'case-insensitive')
    assert.deepEqual(await only('tool=BASH'), pick(2, 3, 10, 11))
    assert.deepEqual(await only('tool=mcp__github__create_issue'), pick(4, 5))
    assert.deepEqual(await only('tool=mcp__github'), [], 'full tool names only')
    assert.deepEqual(await only('session=ev-A&tool=Bash'), pick(2, 3))
    assert.deepEqual(await only('session=ev-B&event=PreToolUse&limit=1'), pick(10))

    // Full-text search.
    const having = (text: string): number[] =>
      lines
        .map((line, i) => (line.includes(text) ? id[i]! : -1))
        .filter((n) => n !== -1)
        .reverse()
    assert.equal(having('zebrafish').length, 2)
    assert.deepEqual(await only('q=zebrafish'), having('zebrafish'))
    assert.deepEqual(await only('q=ZebraFish'), having('zebrafish'), 'case-folded')
    assert.deepEqual(await only('q=zebra*'), having('zebrafish'), 'a prefix')
    assert.deepEqual(await only('q=zebra'), [], 'a word is whole unless it ends in *')
    assert.deepEqual(await only(`q=${encodeURIComponent('"quick brown fox"')}`), pick(1))
    assert.deepEqual(await only(`q=${encodeURIComponent('"brown quick"')}`), pick(4, 5))
    assert.deepEqual(await only('q=quick+brown'), pick(1, 4, 5, 9), 'every word, any order')
    assert.deepEqual(await only('q=quick+brown&session=ev-B'), pick(9))
    assert.deepEqual(await only(`q=${encodeURIComponent('café')}`), pick(7), 'a \\u escape')
    assert.deepEqual(await only('q=cafe'), pick(7), 'accents folded')
    assert.deepEqual(await only('q=mcp__github__create_issue'), pick(4, 5))
    assert.deepEqual(await only('q=zebrafish&limit=1'), having('zebrafish').slice(0, 1))
    for (const hostile of [
      '"',
      'AND (',
      '*',
      '"unclosed phrase',
      'NOT zebrafish',
      '-zebrafish',
      'tool_name:Bash',
      'NEAR(quick brown)',
      "') OR 1=1 --",
      '\\',
      '%',
      '_',
      '^quick',
      '{}[]',
      'a OR b AND NOT c',
      '""',
      '"""',
      '**',
      'quick*brown*',
    ]) {
      const reply = await request(obs.tcp, { path: `/api/events?q=${encodeURIComponent(hostile)}` })
      assert.equal(reply.status, 200, `q=${hostile}: ${reply.body}`)
      const page = JSON.parse(reply.body) as EventPage
      assert.ok(Array.isArray(page.events), `q=${hostile}`)
    }
    assert.deepEqual(await only(`q=${encodeURIComponent('"')}`), [])
    assert.deepEqual(await only('q=*'), [])

    // Time windows (inclusive), as ISO times, epoch ms and durations.
    const ts = byAge.map((e) => Date.parse(e.ts))
    const mid = byAge[7]!
    const since = ts
      .map((time, i) => (time >= ts[7]! ? id[i]! : -1))
      .filter((n) => n !== -1)
      .reverse()
    const untilMid = ts
      .map((time, i) => (time <= ts[7]! ? id[i]! : -1))
      .filter((n) => n !== -1)
      .reverse()
    assert.ok(since.includes(mid.id) && untilMid.includes(mid.id))
    assert.deepEqual(await only(`since=${encodeURIComponent(mid.ts)}`), since)
    assert.deepEqual(await only(`since=${ts[7]}`), since)
    assert.deepEqual(await only(`until=${encodeURIComponent(mid.ts)}`), untilMid)
    assert.deepEqual(
      await only(`since=${ts[7]}&until=${ts[7]}`),
      since.filter((n) => untilMid.includes(n)),
    )
    assert.deepEqual(await only('since=1h'), [...id].reverse())
    assert.deepEqual(await only('until=1h'), [], 'nothing is an hour old')
    assert.deepEqual(await only('since=2999-01-01'), [])
    assert.match(await getError(obs.tcp, '/api/events?since=yesterday', 400), /since/)
    assert.match(await getError(obs.tcp, '/api/events?until=noon', 400), /until/)
    for (const bad of [
      'limit=0',
      'limit=1001',
      'limit=abc',
      'limit=-1',
      'before=abc',
      'after=1.5',
    ]) {
      await getError(obs.tcp, `/api/events?${bad}`, 400)
    }
  })

  it('/api/tools: calls, failures, p50/p95 over a window', async (t) => {
    const dir = tempDir(t)
    const obs = await startCli(t, ['--port', '0', '--db', `${dir}/e.db`, '--quiet'])
    const S = { session_id: 'tl-1', cwd: '/p/tools' }
    const call = async (
      tool: string,
      id: string,
      end: 'PostToolUse' | 'PostToolUseFailure' | 'PermissionDenied' | undefined,
      extra: Record<string, unknown> = {},
    ): Promise<void> => {
      const input = { command: `run ${id}` }
      await send(obs.tcp, 'PreToolUse', {
        ...S,
        tool_name: tool,
        tool_use_id: id,
        tool_input: input,
      })
      if (end === undefined) return
      await send(obs.tcp, end, {
        ...S,
        tool_name: tool,
        tool_use_id: id,
        tool_input: input,
        ...extra,
      })
    }
    await send(obs.tcp, 'UserPromptSubmit', { ...S, prompt_id: 'p', prompt: 'tools' })
    for (const [n, ms] of [10, 40, 20, 100, 30].entries()) {
      await call('Bash', `b-${n}`, 'PostToolUse', { duration_ms: ms })
    }
    await call('Bash', 'b-fail', 'PostToolUseFailure', { duration_ms: 50, error: 'Exit code 2' })
    await call('Bash', 'b-running', undefined)
    await call('mcp__github__create_issue', 'm-1', 'PostToolUse', { duration_ms: 5 })
    await call('Write', 'w-1', 'PermissionDenied', { reason: 'denied by rule' })

    const stats = await getJson<ToolsReply>(obs.tcp, '/api/tools?window=1h')
    assert.equal(stats.window_ms, 3_600_000)
    assert.equal(stats.tools[0]!.tool_name, 'Bash', 'most called first')
    const row = (name: string): ToolRow => {
      const found = stats.tools.find((r) => r.tool_name === name)
      assert.ok(found, `${name} in ${JSON.stringify(stats.tools)}`)
      return found
    }
    // Durations of the finished calls: 10 20 30 40 50 100 → nearest rank p50 = 30 (3rd), p95 = 100 (6th).
    assert.deepEqual(row('Bash'), {
      tool_name: 'Bash',
      calls: 7,
      failures: 1,
      other: 0,
      p50_ms: 30,
      p95_ms: 100,
    })
    assert.deepEqual(row('mcp__github__create_issue'), {
      tool_name: 'mcp__github__create_issue',
      calls: 1,
      failures: 0,
      other: 0,
      p50_ms: 5,
      p95_ms: 5,
    })
    const write = row('Write')
    assert.equal(write.calls, 1)
    assert.equal(write.other, 1, 'denied counts as other')
    assert.equal(stats.tools.length, 3)

    const byDefault = await getJson<ToolsReply>(obs.tcp, '/api/tools')
    assert.equal(byDefault.window_ms, 86_400_000, 'default window: 24h')
    assert.deepEqual(byDefault.tools, stats.tools)
    for (const bad of ['nope', '1y', '10', '-1h', '1.5h', '']) {
      assert.match(
        await getError(obs.tcp, `/api/tools?window=${bad}`, 400),
        /window/,
        `window=${bad}`,
      )
    }
  })

  it('restart on the same --db: sessions, events and tools kept, a running call completes, ids go on; a second writer is refused', async (t) => {
    const dir = tempDir(t)
    const db = `${dir}/r.db`
    const args = ['--socket', `${dir}/in.sock`, '--port', '0', '--db', db, '--quiet']
    const first = await startCli(t, args)
    const r1 = { session_id: 'rs-1', cwd: '/p/r1' }
    const r2 = { session_id: 'rs-2', cwd: '/p/r2' }
    const r3 = { session_id: 'rs-3', cwd: '/p/r3' }
    const sleepInput = { command: 'sleep 100' }
    await send(first.tcp, 'SessionStart', { ...r1, source: 'startup', model: 'm-1' })
    await send(first.unix, 'UserPromptSubmit', { ...r1, prompt_id: 'p1', prompt: 'wait' })
    await send(first.tcp, 'PreToolUse', {
      ...r1,
      prompt_id: 'p1',
      tool_name: 'Bash',
      tool_use_id: 'tu-r1',
      tool_input: sleepInput,
    })
    await send(first.tcp, 'SessionStart', { ...r2, source: 'startup' })
    await send(first.tcp, 'UserPromptSubmit', { ...r2, prompt_id: 'p2', prompt: 'quick' })
    await send(first.tcp, 'PreToolUse', {
      ...r2,
      tool_name: 'Bash',
      tool_use_id: 'tu-r2',
      tool_input: { command: 'true' },
    })
    await send(first.tcp, 'PostToolUse', {
      ...r2,
      tool_name: 'Bash',
      tool_use_id: 'tu-r2',
      tool_input: { command: 'true' },
      duration_ms: 100,
    })
    await send(first.tcp, 'Stop', { ...r2, prompt_id: 'p2' })
    await send(first.tcp, 'SessionEnd', { ...r2, reason: 'logout' })
    await send(first.tcp, 'UserPromptSubmit', { ...r3, prompt_id: 'p3', prompt: 'ask' })
    const rm = { command: 'rm -rf build' }
    await send(first.tcp, 'PreToolUse', {
      ...r3,
      tool_name: 'Bash',
      tool_use_id: 'tu-r3',
      tool_input: rm,
    })
    await send(first.tcp, 'PermissionRequest', { ...r3, tool_name: 'Bash', tool_input: rm })

    const sessionsBefore = await getJson<SessionList>(first.tcp, '/api/sessions')
    assert.deepEqual(
      sessionsBefore.sessions.map((s) => [s.session_id, s.state]),
      [
        ['rs-3', 'waiting for permission'],
        ['rs-2', 'ended'],
        ['rs-1', 'running tool'],
      ],
    )
    const eventsBefore = await request(first.tcp, { path: '/api/events?limit=1000' })
    const toolsBefore = await getJson<ToolsReply>(first.tcp, '/api/tools?window=1h')
    const detailsBefore = new Map<string, SessionDetail>()
    for (const id of ['rs-1', 'rs-2', 'rs-3']) {
      detailsBefore.set(id, await getJson<SessionDetail>(first.tcp, `/api/sessions/${id}`))
    }
    const lastId = (JSON.parse(eventsBefore.body) as EventPage).events[0]!.id
    assert.equal((JSON.parse(eventsBefore.body) as EventPage).events.length, 12)

    // A second observatory on the same store while the first runs: refused, one line.
    const second = await runCli(['serve', '--port', '0', '--db', db, '--quiet'])
    assert.equal(second.code, 1, `second writer: ${second.stderr}`)
    const line = assertOneLine(second.stderr, 'a second writer')
    assert.ok(line.includes(db), `names the store: ${line}`)
    assert.ok(line.includes(`pid ${first.pid}`), `names the other process: ${line}`)
    assert.ok(first.running, 'the first observatory runs on')
    assert.equal((await request(first.tcp, { path: '/health' })).status, 200)

    await first.stopCleanly()
    const again = await startCli(t, args)
    assert.match(again.stderr(), new RegExp(`Store: ${db} \\(12 events, events kept 30d\\)`))

    const sessionsAfter = await getJson<SessionList>(again.tcp, '/api/sessions')
    assert.deepEqual(sessionsAfter.sessions, sessionsBefore.sessions, 'the same summaries')
    const eventsAfter = await request(again.tcp, { path: '/api/events?limit=1000' })
    assert.equal(eventsAfter.body, eventsBefore.body, 'the same events, byte for byte')
    const toolsAfter = await getJson<ToolsReply>(again.tcp, '/api/tools?window=1h')
    assert.deepEqual(toolsAfter.tools, toolsBefore.tools)
    for (const [id, before] of detailsBefore) {
      assert.deepEqual(await getJson<SessionDetail>(again.tcp, `/api/sessions/${id}`), before, id)
    }
    const r1Before = detailsBefore.get('rs-1')!
    assert.equal(r1Before.current_tool?.tool_use_id, 'tu-r1')
    assert.equal(callOf(r1Before, 'tu-r1').outcome, 'running')

    // The call that was running before the restart completes after it.
    await send(again.unix, 'PostToolUse', {
      ...r1,
      prompt_id: 'p1',
      tool_name: 'Bash',
      tool_use_id: 'tu-r1',
      tool_input: sleepInput,
      duration_ms: 77,
    })
    let r1After = await getJson<SessionDetail>(again.tcp, '/api/sessions/rs-1')
    assert.equal(r1After.state, 'thinking')
    assert.equal(r1After.current_tool, null)
    const done = callOf(r1After, 'tu-r1')
    assert.equal(done.outcome, 'ok')
    assert.equal(done.duration_ms, 77)
    assert.equal(done.started, callOf(r1Before, 'tu-r1').started)
    assert.deepEqual(r1After.counts, { ...r1Before.counts, events: 4 })
    await send(again.tcp, 'Stop', { ...r1, prompt_id: 'p1' })
    r1After = await getJson<SessionDetail>(again.tcp, '/api/sessions/rs-1')
    assert.equal(r1After.state, 'waiting for input')
    assert.equal(r1After.turns[0]!.outcome, 'done')
    // The permission still pending across the restart is answered.
    await send(again.tcp, 'PostToolUse', {
      ...r3,
      tool_name: 'Bash',
      tool_use_id: 'tu-r3',
      tool_input: rm,
      duration_ms: 5,
    })
    const r3After = await getJson<SessionDetail>(again.tcp, '/api/sessions/rs-3')
    assert.equal(r3After.state, 'thinking')
    assert.equal(r3After.counts.pending_permissions, 0)
    assert.ok(callOf(r3After, 'tu-r3').permission?.resolved)

    // Ids go on from where they were.
    const newest = await getJson<EventPage>(again.tcp, '/api/events?limit=3')
    assert.deepEqual(ids(newest), [lastId + 3, lastId + 2, lastId + 1])
    assert.deepEqual(
      newest.events.map((e) => e.event),
      ['PostToolUse', 'Stop', 'PostToolUse'],
    )
    await again.waitForStdoutLines(3)
    await sleep(100)
    assert.equal(again.stdoutLines().length, 3, 'the new observatory printed only the new events')
    const tools = await getJson<ToolsReply>(again.tcp, '/api/tools?window=1h')
    assert.deepEqual(tools.tools, [
      { tool_name: 'Bash', calls: 3, failures: 0, other: 0, p50_ms: 77, p95_ms: 100 },
    ])
  })

  it('store errors at start-up: one line, exit 1 (a garbage file, a directory that cannot be made)', async (t) => {
    const dir = tempDir(t)
    const garbage = join(dir, 'garbage.db')
    const junk = Buffer.from('this is not a database, just some text\n'.repeat(40))
    writeFileSync(garbage, junk)
    const plain = join(dir, 'plain')
    writeFileSync(plain, 'a regular file\n')
    const [notDb, noDir, both] = await Promise.all([
      runCli(['serve', '--port', '0', '--db', garbage, '--quiet']),
      runCli(['serve', '--port', '0', '--db', join(plain, 'sub', 'x.db'), '--quiet']),
      runCli(['serve', '--port', '0', '--db', join(dir, 'x.db'), '--no-db']),
    ])
    assert.equal(notDb.code, 1, notDb.stderr)
    assert.match(
      assertOneLine(notDb.stderr, 'garbage'),
      new RegExp(`${garbage} is not a valid database`),
    )
    assert.deepEqual(readFileSync(garbage), junk, 'the file is left as it was')
    assert.equal(noDir.code, 1, noDir.stderr)
    assert.match(
      assertOneLine(noDir.stderr, 'a directory under a file'),
      new RegExp(`cannot create the directory ${plain}/sub .*ENOTDIR`),
    )
    assert.equal(both.code, 2, both.stderr)
    assert.match(assertOneLine(both.stderr, '--db with --no-db'), /mutually exclusive/)
  })

  it('SSE /events: id lines are store ids; Last-Event-ID and ?lastEventId replay the rest, then live, none twice', async (t) => {
    const dir = tempDir(t)
    const obs = await startCli(t, ['--port', '0', '--db', `${dir}/s.db`, '--quiet'])
    const port = obs.tcp.port
    const S = { session_id: 'sse-1', cwd: '/p/sse' }
    let n = 0
    const emit = () => send(obs.tcp, 'Notification', { ...S, message: `event ${++n}`, n })
    for (let i = 0; i < 5; i++) await emit()
    const stored = await allEvents(obs.tcp)
    const storedIds = stored.map((e) => e.id)
    assert.equal(storedIds.length, 5)

    /** Every received event: its id is a store id whose line is its data; ids strictly increase. */
    const check = async (events: SseEvent[], what: string): Promise<number[]> => {
      const got = events.map((e) => Number(e.id))
      for (let i = 1; i < got.length; i++) {
        assert.ok(got[i]! > got[i - 1]!, `${what}: ids increase, none twice: ${got}`)
      }
      for (const e of events) {
        assert.equal(e.event, undefined, `${what}: a plain message event`)
        assert.match(e.id ?? '', /^\d+$/, `${what}: an id line`)
        const line = await request(obs.tcp, { path: `/api/events/${e.id}` })
        assert.equal(line.status, 200)
        assert.equal(e.data, line.body, `${what}: the data of id ${e.id} is its stored line`)
        await eventually(
          () => obs.stdoutLines().includes(e.data),
          `${what}: the data of id ${e.id} as a stdout line`,
          WAIT,
        )
      }
      return got
    }

    // A fresh client gets live events only.
    const fresh = await SseClient.open(t, port, '/events')
    assert.equal(fresh.status, 200)
    assert.match(fresh.headers['content-type'] ?? '', /^text\/event-stream/)
    await fresh.waitFor(() => fresh.text.includes(': connected'), 'the connected comment')
    await emit()
    let events = await fresh.waitFor((e) => e.length >= 1, 'one live event')
    const live1 = storedIds[4]! + 1
    assert.deepEqual(await check(events, 'fresh'), [live1])

    // Last-Event-ID: the events after it from the store, then the live ones; events sent while it connects
    // come once.
    const resumed = await SseClient.open(t, port, '/events', {
      'Last-Event-ID': String(storedIds[1]),
    })
    await Promise.all([emit(), emit()])
    const wanted = [...storedIds.slice(2), live1, live1 + 1, live1 + 2]
    events = await resumed.waitFor(
      (e) => e.some((x) => Number(x.id) === live1 + 2),
      'the replay and two live events',
    )
    await sleep(200) // anything more would be a duplicate
    assert.deepEqual(await check(resumed.events(), 'Last-Event-ID'), wanted)
    await emit()
    await resumed.waitFor((e) => e.length === wanted.length + 1, 'one more live event')
    assert.deepEqual(await check(resumed.events(), 'Last-Event-ID, then live'), [
      ...wanted,
      live1 + 3,
    ])

    // The query parameter, for clients that cannot set the header.
    const byQuery = await SseClient.open(t, port, `/events?lastEventId=${storedIds[3]}`)
    events = await byQuery.waitFor((e) => e.length >= 5, 'the replay')
    await emit()
    events = await byQuery.waitFor((e) => e.length >= 6, 'the replay and one live event')
    await sleep(200)
    assert.deepEqual(await check(byQuery.events(), '?lastEventId'), [
      storedIds[4]!,
      live1,
      live1 + 1,
      live1 + 2,
      live1 + 3,
      live1 + 4,
    ])

    // From the newest id: nothing to replay. From 0: everything.
    const latest = await SseClient.open(t, port, '/events', { 'Last-Event-ID': String(live1 + 4) })
    const everything = await SseClient.open(t, port, '/events', { 'Last-Event-ID': '0' })
    await latest.waitFor(() => latest.text.includes(': connected'), 'connected')
    await everything.waitFor((e) => e.length >= 10, 'every stored event')
    await emit()
    await latest.waitFor((e) => e.length >= 1, 'the live event')
    await everything.waitFor((e) => e.length >= 11, 'every event')
    await sleep(200)
    assert.deepEqual(await check(latest.events(), 'from the newest'), [live1 + 5])
    const all = await check(everything.events(), 'from 0')
    assert.deepEqual(all, [...storedIds, ...Array.from({ length: 6 }, (_, i) => live1 + i)])

    // The fresh client saw every live event once, in order.
    await fresh.waitFor((e) => e.length >= 6, 'six live events')
    assert.deepEqual(
      await check(fresh.events(), 'fresh, at the end'),
      Array.from({ length: 6 }, (_, i) => live1 + i),
    )
    // An id that is not a number is no id: live only.
    const bogus = await SseClient.open(t, port, '/events', { 'Last-Event-ID': 'abc' })
    await bogus.waitFor(() => bogus.text.includes(': connected'), 'connected')
    await emit()
    await bogus.waitFor((e) => e.length >= 1, 'the live event')
    assert.deepEqual(await check(bogus.events(), 'a bogus id'), [live1 + 6])
  })

  it('guards on the API: bearer token, Host allow-list, other origins; /docs and /openapi.json', async (t) => {
    const dir = tempDir(t)
    const token = 'T0k3n-for-the-api'
    const obs = await startCli(t, [
      '--socket',
      `${dir}/in.sock`,
      '--port',
      '0',
      '--db',
      `${dir}/g.db`,
      '--token',
      token,
      '--quiet',
    ])
    const port = obs.tcp.port
    const auth = { Authorization: `Bearer ${token}` }
    await send(obs.unix, 'SessionStart', { session_id: 'g-1', cwd: '/p/g', source: 'startup' })

    for (const path of [
      '/api/sessions',
      '/api/sessions/g-1',
      '/api/events',
      '/api/events/1',
      '/api/tools',
      '/docs',
      '/openapi.json',
      '/events',
    ]) {
      const none = await request(obs.tcp, { path })
      assert.equal(none.status, 401, `GET ${path} without the token`)
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="observatory"')
      const wrong = await request(obs.tcp, { path, headers: { Authorization: 'Bearer wrong' } })
      assert.equal(wrong.status, 401, `GET ${path} with a wrong token`)
    }
    const hookWithout = await postEvent(obs.tcp, 'Stop', { session_id: 'g-1' })
    assert.equal(hookWithout.status, 401, 'a hook over TCP needs the token as well')
    assert.equal((await request(obs.tcp, { path: '/health' })).status, 200, '/health is open')
    const list = await getJson<SessionList>(obs.tcp, '/api/sessions', auth)
    assert.deepEqual(sessionIds(list), ['g-1'])
    assert.equal(
      (await getJson<SessionDetail>(obs.tcp, '/api/sessions/g-1', auth)).state,
      'starting',
    )
    assert.equal((await getJson<EventPage>(obs.tcp, '/api/events', auth)).events.length, 1)
    // Over the Unix socket the file mode decides: no token needed.
    assert.deepEqual(sessionIds(await getJson<SessionList>(obs.unix, '/api/sessions')), ['g-1'])

    // The Host check comes first (403, token or not): DNS rebinding.
    for (const headers of [{ Host: 'evil.example' }, { ...auth, Host: `evil.example:${port}` }]) {
      const reply = await request(obs.tcp, { path: '/api/sessions', headers })
      assert.equal(reply.status, 403, JSON.stringify(headers))
      assert.match(JSON.parse(reply.body).message, /Host header not allowed/)
    }
    // A GET from another origin's page is refused like a POST (guard.ts makes no exception for GET, except a
    // top-level navigation), with the token or without.
    const foreign: Record<string, string>[] = [
      { ...auth, Origin: 'http://evil.example' },
      { ...auth, Origin: `http://localhost:${port}` },
      { ...auth, Origin: 'null' },
      { ...auth, 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'cors' },
      { ...auth, 'Sec-Fetch-Site': 'same-site', 'Sec-Fetch-Mode': 'no-cors' },
      { Origin: 'http://evil.example' },
    ]
    for (const headers of foreign) {
      const reply = await request(obs.tcp, { path: '/api/sessions', headers })
      assert.equal(reply.status, 403, JSON.stringify(headers))
      assert.match(JSON.parse(reply.body).message, /other origins/)
    }
    const sameOrigin = await request(obs.tcp, {
      path: '/api/events',
      headers: { ...auth, Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin' },
    })
    assert.equal(sameOrigin.status, 200)
    const navigation = await request(obs.tcp, {
      path: '/api/sessions',
      headers: {
        ...auth,
        'Sec-Fetch-Site': 'cross-site',
        'Sec-Fetch-Mode': 'navigate',
        'Sec-Fetch-Dest': 'document',
      },
    })
    assert.equal(navigation.status, 200, 'a top-level navigation only reads')

    // The documentation.
    const docs = await request(obs.tcp, { path: '/docs', headers: auth })
    assert.equal(docs.status, 200)
    assert.match(docs.headers['content-type'] ?? '', /^text\/html/)
    const openapi = await getJson<{
      openapi: string
      paths: Record<string, { get?: { parameters?: { name: string; in: string }[] } }>
    }>(obs.tcp, '/openapi.json', auth)
    assert.match(openapi.openapi, /^3\./)
    const params = (path: string): string[] => {
      const get = openapi.paths[path]?.get
      assert.ok(get, `GET ${path} in the OpenAPI document`)
      return (get.parameters ?? []).map((p) => `${p.in}:${p.name}`).sort()
    }
    assert.deepEqual(params('/api/sessions'), [
      'query:limit',
      'query:project',
      'query:since',
      'query:state',
    ])
    assert.deepEqual(params('/api/sessions/{id}'), ['path:id'])
    assert.deepEqual(params('/api/events'), [
      'query:after',
      'query:before',
      'query:event',
      'query:limit',
      'query:q',
      'query:session',
      'query:since',
      'query:tool',
      'query:until',
    ])
    assert.deepEqual(params('/api/events/{id}'), ['path:id'])
    assert.deepEqual(params('/api/tools'), ['query:window'])
  })

  it('--no-store: no history (503 where history is needed), the sessions in memory, no file written', async (t) => {
    const state = tempDir(t)
    const env = { XDG_STATE_HOME: state }
    const obs = await startCli(t, ['--port', '0', '--no-store', '--quiet'], { env })
    assert.match(obs.stderr(), /^Store: none \(--no-store\)/m)
    const S = { session_id: 'ns-1', cwd: '/p/ns' }
    await send(obs.tcp, 'SessionStart', { ...S, source: 'startup' })
    await send(obs.tcp, 'PreToolUse', {
      ...S,
      tool_name: 'Bash',
      tool_use_id: 'ns1',
      tool_input: { command: 'ls' },
    })
    const list = await request(obs.tcp, { path: '/api/sessions' })
    assert.equal(list.status, 200)
    const sessions = (JSON.parse(list.body) as { sessions: SessionSummary[] }).sessions
    assert.deepEqual(
      sessions.map((x) => [x.session_id, x.state]),
      [['ns-1', 'running tool']],
    )
    for (const path of ['/api/events', '/api/events?q=ls', '/api/tools', '/api/stats/usage']) {
      assert.equal((await request(obs.tcp, { path })).status, 503, path)
    }
    assert.deepEqual(readdirSync(state), [], 'no store directory, no file')
    const [both, retain] = await Promise.all([
      runCli(['serve', '--port', '0', '--no-store', '--no-db']),
      runCli(['serve', '--port', '0', '--no-store', '--retain', '1d']),
    ])
    for (const r of [both, retain]) {
      assert.equal(r.code, 2, r.stderr)
      assert.match(assertOneLine(r.stderr, '--no-store with a store option'), /--no-store excludes/)
    }
  })

  it('--no-db: the API works for the run, in memory; nothing is kept after a restart', async (t) => {
    const state = tempDir(t)
    const args = ['--port', '0', '--no-db', '--quiet']
    const env = { XDG_STATE_HOME: state }
    const first = await startCli(t, args, { env })
    assert.match(first.stderr(), /^Store: in memory, for this run only \(--no-db\)$/m)
    const S = { session_id: 'nd-1', cwd: '/p/nd' }
    const input = { command: 'echo platypus' }
    await send(first.tcp, 'SessionStart', { ...S, source: 'startup' })
    await send(first.tcp, 'PreToolUse', {
      ...S,
      tool_name: 'Bash',
      tool_use_id: 'n1',
      tool_input: input,
    })
    await send(first.tcp, 'PostToolUse', {
      ...S,
      tool_name: 'Bash',
      tool_use_id: 'n1',
      tool_input: input,
      duration_ms: 9,
    })
    const lines = await first.waitForStdoutLines(3)
    const events = await allEvents(first.tcp)
    assert.deepEqual(
      events.map((e) => e.event),
      ['SessionStart', 'PreToolUse', 'PostToolUse'],
    )
    assert.equal(
      (await request(first.tcp, { path: `/api/events/${events[2]!.id}` })).body,
      lines[2],
    )
    assert.deepEqual(ids(await getJson<EventPage>(first.tcp, '/api/events?q=platypus')), [
      events[2]!.id,
      events[1]!.id,
    ])
    const list = await getJson<SessionList>(first.tcp, '/api/sessions')
    assert.deepEqual(
      list.sessions.map((s) => [s.session_id, s.state]),
      [['nd-1', 'thinking']],
    )
    assert.equal(callOf(await getJson(first.tcp, '/api/sessions/nd-1'), 'n1').duration_ms, 9)
    const tools = await getJson<ToolsReply>(first.tcp, '/api/tools?window=1h')
    assert.deepEqual(tools.tools, [
      { tool_name: 'Bash', calls: 1, failures: 0, other: 0, p50_ms: 9, p95_ms: 9 },
    ])
    await first.stopCleanly()
    assert.equal(existsSync(join(state, 'hooks-observatory')), false, 'no store file was made')

    const second = await startCli(t, args, { env })
    assert.deepEqual((await getJson<SessionList>(second.tcp, '/api/sessions')).sessions, [])
    assert.deepEqual((await getJson<EventPage>(second.tcp, '/api/events')).events, [])
    assert.deepEqual((await getJson<ToolsReply>(second.tcp, '/api/tools')).tools, [])
    assert.equal(await getError(second.tcp, '/api/sessions/nd-1', 404), 'no such session')
  })

  it('observatory db: import a rotated log (twice), info, prune; a server on the imported store', async (t) => {
    const dir = tempDir(t)
    const log = join(dir, 'events.log')
    const source = join(dir, 'source.db')
    const imported = join(dir, 'imported.db')
    // Usage mistakes, checked at the end, run meanwhile.
    const usage = Promise.all(
      [
        ['db'],
        ['db', 'nope'],
        ['db', 'import'],
        ['db', 'prune', '--db', imported],
        ['db', 'prune', '--older-than', 'soon', '--db', imported],
        ['db', 'info', 'extra', '--db', imported],
      ].map(async (args) => [args, await runCli(args)] as const),
    )
    const obs = await startCli(t, [
      '--port',
      '0',
      '--db',
      source,
      '--log',
      log,
      '--log-max-bytes',
      '1500',
      '--quiet',
    ])
    const one = { session_id: 'imp-1', cwd: '/p/imp', padding: 'x'.repeat(150) }
    const two = { session_id: 'imp-2', cwd: '/p/imp2', padding: 'y'.repeat(150) }
    await send(obs.tcp, 'SessionStart', { ...one, source: 'startup', model: 'm-imp' })
    await send(obs.tcp, 'UserPromptSubmit', { ...one, prompt_id: 'p', prompt: 'import me' })
    await send(obs.tcp, 'PreToolUse', {
      ...one,
      tool_name: 'Bash',
      tool_use_id: 'i-1',
      tool_input: { command: 'make' },
    })
    await send(obs.tcp, 'PostToolUse', {
      ...one,
      tool_name: 'Bash',
      tool_use_id: 'i-1',
      tool_input: { command: 'make' },
      duration_ms: 21,
    })
    await send(obs.tcp, 'Stop', { ...one, prompt_id: 'p' })
    await send(obs.tcp, 'SessionStart', { ...two, source: 'startup' })
    await send(obs.tcp, 'UserPromptSubmit', { ...two, prompt_id: 'p', prompt: 'run' })
    await send(obs.tcp, 'PreToolUse', {
      ...two,
      tool_name: 'Bash',
      tool_use_id: 'i-2',
      tool_input: { command: 'sleep 1000' },
    })
    const printed = await obs.waitForStdoutLines(8)
    assert.equal(printed.length, 8)
    await obs.stopCleanly()

    const files = readdirSync(dir)
      .filter((name) => /^events\.log(\.\d+)?$/.test(name))
      .map((name) => join(dir, name))
    assert.ok(files.includes(`${log}.1`), `the log was rotated: ${files}`)
    const logLines = files.flatMap((file) => completeLines(readFileSync(file, 'utf8')))
    assert.equal(logLines.length, printed.length, 'every event in the log files')
    assert.deepEqual(new Set(logLines), new Set(printed))
    const total = logLines.length

    const summary = (count: number, already: number): RegExp =>
      new RegExp(
        `^imported ${count} events from ${files.length} files into ${imported} \\(${already} already there, 0 unreadable lines skipped; 2 sessions rebuilt\\)\n$`,
      )
    // Into the store the server wrote: it has every line already.
    const sourceImport = runCli(['db', 'import', log, '--db', source])
    const first = await runCli(['db', 'import', log, '--db', imported])
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, summary(total, 0))
    const twice = await runCli(['db', 'import', log, '--db', imported])
    assert.equal(twice.code, 0, twice.stderr)
    assert.match(twice.stdout, summary(0, total))
    const intoSource = await sourceImport
    assert.equal(intoSource.code, 0, intoSource.stderr)
    assert.match(intoSource.stdout, new RegExp(`^imported 0 events .*\\(${total} already there`))

    const info = await runCli(['db', 'info', '--db', imported])
    assert.equal(info.code, 0, info.stderr)
    assert.match(info.stdout, new RegExp(`^store: +${imported}$`, 'm'))
    assert.match(info.stdout, new RegExp(`^events: +${total}$`, 'm'))
    assert.match(info.stdout, /^sessions: +2$/m)
    const prune = await runCli(['db', 'prune', '--older-than', '1d', '--db', imported])
    assert.equal(prune.code, 0, prune.stderr)
    assert.equal(prune.stdout, `pruned 0 events from ${imported}\n`)

    const served = await startCli(t, ['--port', '0', '--db', imported, '--quiet'])
    assert.match(served.stderr(), new RegExp(`Store: ${imported} \\(${total} events`))
    const list = await getJson<SessionList>(served.tcp, '/api/sessions')
    assert.deepEqual(
      list.sessions.map((s) => [s.session_id, s.state, s.state_tool]),
      [
        ['imp-2', 'running tool', 'Bash'],
        ['imp-1', 'waiting for input', null],
      ],
    )
    assert.equal(summaryOf(list, 'imp-2').current_tool?.tool_use_id, 'i-2')
    const detail = await getJson<SessionDetail>(served.tcp, '/api/sessions/imp-1')
    assert.equal(detail.model, 'm-imp')
    assert.equal(detail.counts.events, 5)
    assert.equal(callOf(detail, 'i-1').duration_ms, 21)
    assert.equal(callOf(detail, 'i-1').outcome, 'ok')
    assert.equal(detail.turns[0]!.prompt, 'import me')
    assert.equal(detail.turns[0]!.outcome, 'done')
    const raw = await request(served.tcp, { path: '/api/events?limit=1000' })
    for (const line of logLines) assert.ok(raw.body.includes(`"data":${line}}`), line)
    // One writer at a time: db prune while the server holds the store.
    const busy = await runCli(['db', 'prune', '--older-than', '1d', '--db', imported])
    assert.equal(busy.code, 1, busy.stderr)
    assert.match(
      assertOneLine(busy.stderr, 'db prune on a busy store'),
      new RegExp(`pid ${served.pid}`),
    )

    // Usage mistakes: exit 2, one line.
    for (const [args, result] of await usage) {
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assertOneLine(result.stderr, args.join(' '))
    }
  })
})
