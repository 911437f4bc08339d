/**
 * Richer Claude Code sessions against the observatory: the real `claude -p`, offline, against a scripted fake
 * Anthropic API (fake-anthropic.ts), with every hook event installed (`observatory install --project --events
 * <all 20>`, command hooks with curl over the Unix socket). One test per scenario, run concurrently:
 *
 * - bash-success: the model runs Bash successfully;
 * - bash-failure: Bash exits 3, so PostToolUseFailure (with `error`) instead of PostToolUse;
 * - subagent: the model calls the Agent tool in the foreground; the subagent runs Bash and answers, then the
 *   main agent does; the subagent's events carry `agent_id` and `agent_type`;
 * - subagent-background: the same with the Agent tool's default, a background agent: the main agent's turn ends
 *   before the subagent's, whose completion comes back as a second prompt (`<task-notification>`);
 * - parallel-reads: two Read calls in one answer (run concurrently: the hooks interleave), one failing;
 *   PostToolBatch lists both;
 * - permission-request: Bash `touch` with only Read allowed, default permission mode: PermissionRequest fires,
 *   nobody can answer in -p mode, the call is denied (no PostToolUse/PostToolUseFailure);
 * - permission-denied-plan: the same in plan mode: PermissionDenied fires (the auto-mode classifier is not
 *   reachable through the fake API), `claude` exits 1;
 * - permission-dont-ask: the same in dontAsk mode: denied without any permission event;
 * - tool-disallowed: `--disallowedTools Bash`: no PreToolUse at all, only PostToolBatch;
 * - api-error: the API answers 400: StopFailure instead of Stop, `claude` exits 1;
 * - cwd-changed: Bash `cd sub`: CwdChanged, and the following events' `cwd` is the new directory.
 *
 * Each scenario has a function (`…Session`) that runs it and returns what was collected (the observatory, its
 * lines and the ordered event names), for checks on more than the printed events.
 *
 * `WRITE_CLAUDE_CODE_FIXTURES=1 node scripts/run-tests.mjs test/observatory/claude-code-sessions` rewrites
 * fixtures/claude-code/<scenario>.json from the runs (then `npx biome check --write` them).
 *
 * Skipped, with the reason printed, when `claude` or curl is not on PATH.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import {
  ALL_EVENTS,
  type ClaudeSession,
  type Line,
  runClaudeSession,
  type SessionOptions,
  skipped,
  writeFixture,
} from './claude-code-harness.ts'
import {
  apiError,
  conversations,
  type Script,
  type ScriptedAnswer,
  type ToolCall,
  text,
  toolResultsOf,
  toolUse,
} from './fake-anthropic.ts'
import { request, startCli, TS_PATTERN } from './helpers.ts'

const LABEL = 'claude-code-sessions.test'

/** How long one scenario may take (it normally takes a few seconds). */
const TEST_TIMEOUT_MS = 150_000

// ---- what the observatory made of it (GET /api/sessions…) ------------------------------------------------

/** The session as `GET /api/sessions/{id}` describes it, asked over the Unix socket (no TCP guard there). */
async function apiSession(target: { socketPath: string }, id: string): Promise<Line> {
  const reply = await request(target, { path: `/api/sessions/${encodeURIComponent(id)}` })
  assert.equal(reply.status, 200, reply.body)
  return JSON.parse(reply.body) as Line
}

/** The one session of a run: in the list (the same state as its detail), and its detail. */
async function sessionOf(s: ClaudeSession): Promise<Line> {
  const id = String(s.lines[0]!.session_id)
  const reply = await request(s.obs.unix, { path: '/api/sessions' })
  assert.equal(reply.status, 200, reply.body)
  const list = (JSON.parse(reply.body) as { sessions: Line[] }).sessions
  assert.deepEqual(
    list.map((x) => x.session_id),
    [id],
    "one session, the run's",
  )
  const detail = await apiSession(s.obs.unix, id)
  assert.equal(detail.state, list[0]!.state)
  assert.equal(detail.cwd, s.project)
  assert.equal((detail.counts as Line).events, s.lines.length, 'every event counted')
  return detail
}

/** The tool calls of a session's detail, by tool_use_id. */
function callsById(detail: Line): Map<string, Line> {
  return new Map((detail.tool_calls as Line[]).map((c) => [String(c.tool_use_id), c]))
}

/** The subagent under the Agent call that started it, its Bash call attributed to it, both calls ok. */
async function assertSubagentTree(
  s: ClaudeSession,
  agentId: string,
  agentCall: string,
  subCall: string,
): Promise<void> {
  const detail = await sessionOf(s)
  const subagents = detail.subagents as Line[]
  assert.equal(subagents.length, 1)
  assert.equal(subagents[0]!.agent_id, agentId)
  assert.equal(subagents[0]!.agent_type, 'general-purpose')
  assert.equal(subagents[0]!.parent_tool_use_id, agentCall)
  assert.equal(subagents[0]!.state, 'done')
  assert.equal(subagents[0]!.tool_calls, 1)
  const calls = callsById(detail)
  assert.equal(calls.get(agentCall)?.tool_name, 'Agent')
  assert.equal(calls.get(agentCall)?.agent_id, null)
  assert.equal(calls.get(agentCall)?.outcome, 'ok')
  assert.equal(calls.get(subCall)?.tool_name, 'Bash')
  assert.equal(calls.get(subCall)?.agent_id, agentId)
  assert.equal(calls.get(subCall)?.outcome, 'ok')
  assert.equal((detail.counts as Line).subagents, 1)
}

// ---- running and recording -------------------------------------------------------------------------------

/** Run a scenario with every hook event installed, and record it as a fixture when asked to. */
async function session(
  t: TestContext,
  name: string,
  description: string,
  options: SessionOptions,
  extra: (s: ClaudeSession) => Record<string, unknown> = () => ({}),
): Promise<ClaudeSession> {
  const s = await runClaudeSession(t, {
    events: ALL_EVENTS,
    required: ['UserPromptSubmit'],
    ...options,
  })
  // What the model was told about each tool call: the tool_result blocks of every request.
  const toolResults = s.fake.requests.flatMap((r) => toolResultsOf(r.body))
  writeFixture(name, s, description, { tool_results: toolResults, ...extra(s) })
  return s
}

/** A conversation script for the main agent only: `answers` by turn. */
function mainOnly(...answers: ScriptedAnswer[]): Script {
  return conversations({ label: 'main', when: (r) => !r.isSubagent, answers })
}

/** Bash with `command`. */
function bash(command: string, description: string): ToolCall {
  return { name: 'Bash', input: { command, description } }
}

// ---- one function per scenario ---------------------------------------------------------------------------

/** (a) A successful Bash call. */
function bashSuccessSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'bash-success',
    'The model runs Bash `echo hello-from-session`, then answers.',
    {
      prompt: 'run echo',
      args: ['--allowedTools', 'Bash'],
      script: mainOnly(
        toolUse(bash('echo hello-from-session', 'Print a greeting')),
        text('echoed'),
      ),
      required: ['UserPromptSubmit', 'PostToolUse', 'Stop'],
    },
  )
}

/**
 * A Bash call that takes a while (`sleep 1`), with the observatory's session list polled every 25 ms while
 * Claude Code runs: the states it went through, in order, without repeats.
 */
async function watchedSession(t: TestContext): Promise<{ s: ClaudeSession; states: string[] }> {
  const states: string[] = []
  let stop = false
  let polling: Promise<void> = Promise.resolve()
  const s = await session(t, 'watched', 'The model runs Bash `sleep 1`, then answers.', {
    prompt: 'wait a second',
    args: ['--allowedTools', 'Bash'],
    script: mainOnly(toolUse(bash('sleep 1', 'Wait a second')), text('waited')),
    required: ['UserPromptSubmit', 'PostToolUse', 'Stop'],
    watch: (obs) => {
      polling = (async () => {
        const deadline = Date.now() + 120_000
        while (!stop && Date.now() < deadline) {
          const reply = await request(obs.unix, { path: '/api/sessions' }).catch(() => undefined)
          const first = reply?.status === 200 ? JSON.parse(reply.body).sessions[0] : undefined
          if (first !== undefined) {
            const label = first.state_tool ? `${first.state} ${first.state_tool}` : first.state
            if (states.at(-1) !== label) states.push(label)
          }
          await new Promise((resolve) => setTimeout(resolve, 25))
        }
      })()
    },
  })
  stop = true
  await polling
  return { s, states }
}

/** (b) A failing Bash call. */
function bashFailureSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'bash-failure',
    'The model runs Bash `echo oops >&2; exit 3` (fails), then answers.',
    {
      prompt: 'run a failing command',
      args: ['--allowedTools', 'Bash'],
      script: mainOnly(
        toolUse(bash('echo oops >&2; exit 3', 'Fail on purpose')),
        text('it failed'),
      ),
      required: ['UserPromptSubmit', 'PostToolUseFailure', 'Stop'],
    },
  )
}

/** What the main agent's Agent call asks the subagent: the marker tells its requests apart. */
const SUBTASK = 'SUBTASK-7f3a: run echo from-subagent and report'

/** The scripted conversations of the subagent scenarios. */
function subagentScript(background: boolean): Script {
  return conversations(
    {
      label: 'subagent',
      when: (r) => r.firstUserText.includes(SUBTASK),
      answers: [toolUse(bash('echo from-subagent', 'Echo in the subagent')), text('subagent done')],
    },
    {
      label: 'main',
      when: (r) => !r.isSubagent && r.firstUserText.includes('delegate'),
      answers: [
        toolUse({
          name: 'Agent',
          input: {
            description: 'Echo in a subagent',
            prompt: SUBTASK,
            subagent_type: 'general-purpose',
            ...(background ? {} : { run_in_background: false }),
          },
        }),
        text('main done'),
      ],
    },
  )
}

/** The Agent tool as Claude Code offers it (name and input schema), and every tool's name. */
function agentTool(s: ClaudeSession): Record<string, unknown> {
  const agent = s.fake.toolDefinition('Agent')
  const first = s.fake.requests.find((r) => r.answer !== 'other')?.body as Line | undefined
  return {
    offered_tools: Array.isArray(first?.tools)
      ? first.tools.map((tool) => (tool as Line).name)
      : undefined,
    agent_tool:
      agent === undefined ? undefined : { name: agent.name, input_schema: agent.input_schema },
  }
}

/** (c) A foreground subagent that runs Bash. */
function subagentSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'subagent',
    'The model calls Agent (run_in_background: false); the subagent runs Bash, answers; the main agent answers.',
    {
      prompt: 'delegate an echo',
      args: ['--allowedTools', 'Bash,Agent'],
      script: subagentScript(false),
      required: ['UserPromptSubmit', 'SubagentStop', 'Stop'],
    },
    agentTool,
  )
}

/** (c') A background subagent (the Agent tool's default). */
function subagentBackgroundSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'subagent-background',
    'The model calls Agent (in the background, the default); its completion comes back as a second prompt.',
    {
      prompt: 'delegate an echo',
      args: ['--allowedTools', 'Bash,Agent'],
      script: subagentScript(true),
      required: ['UserPromptSubmit', 'SubagentStop', 'Stop'],
    },
  )
}

/**
 * Two Read calls in one answer, with relative paths: `a.txt` (in the project) and `missing.txt`. Claude Code
 * makes them absolute in PreToolUse's tool_input; PostToolBatch keeps the model's input.
 */
function parallelReadsSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'parallel-reads',
    'The model calls Read twice in one answer (a.txt, and missing.txt), then answers.',
    {
      prompt: 'read two files',
      args: ['--allowedTools', 'Read'],
      prepare: (dir) => writeFileSync(join(dir, 'a.txt'), 'alpha\n'),
      script: mainOnly(
        toolUse(
          { name: 'Read', input: { file_path: 'a.txt' } },
          { name: 'Read', input: { file_path: 'missing.txt' } },
        ),
        text('read both'),
      ),
      required: ['UserPromptSubmit', 'PostToolBatch', 'Stop'],
    },
  )
}

/** The Bash call the permission scenarios make: not read-only, so it needs a permission. */
const TOUCH = 'touch denied-marker'

/** (d) A tool call that is not allowed, default permission mode. */
function permissionRequestSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'permission-request',
    `Only Read allowed, default permission mode; the model runs Bash \`${TOUCH}\`, then answers.`,
    {
      prompt: 'touch a file',
      args: ['--allowedTools', 'Read'],
      script: mainOnly(toolUse(bash(TOUCH, 'Create a file')), text('could not')),
      required: ['UserPromptSubmit', 'PermissionRequest', 'Stop'],
    },
  )
}

/** (d') The same in plan mode. */
function permissionDeniedPlanSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'permission-denied-plan',
    `Only Read allowed, --permission-mode plan; the model runs Bash \`${TOUCH}\`, then answers.`,
    {
      prompt: 'touch a file',
      args: ['--allowedTools', 'Read', '--permission-mode', 'plan'],
      script: mainOnly(toolUse(bash(TOUCH, 'Create a file')), text('could not')),
      required: ['UserPromptSubmit', 'PermissionDenied', 'Stop'],
    },
  )
}

/** (d'') The same in dontAsk mode. */
function permissionDontAskSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'permission-dont-ask',
    `Only Read allowed, --permission-mode dontAsk; the model runs Bash \`${TOUCH}\`, then answers.`,
    {
      prompt: 'touch a file',
      args: ['--allowedTools', 'Read', '--permission-mode', 'dontAsk'],
      script: mainOnly(toolUse(bash(TOUCH, 'Create a file')), text('could not')),
      required: ['UserPromptSubmit', 'PostToolBatch', 'Stop'],
    },
  )
}

/** (d''') A disallowed tool. */
function toolDisallowedSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'tool-disallowed',
    `--disallowedTools Bash; the model runs Bash \`${TOUCH}\` anyway, then answers.`,
    {
      prompt: 'touch a file',
      args: ['--disallowedTools', 'Bash'],
      script: mainOnly(toolUse(bash(TOUCH, 'Create a file')), text('could not')),
      required: ['UserPromptSubmit', 'PostToolBatch', 'Stop'],
    },
  )
}

/** The API refuses the request (400): the turn fails. */
function apiErrorSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'api-error',
    'The fake API answers every request with 400 invalid_request_error "fake refusal".',
    {
      prompt: 'fail please',
      script: mainOnly(apiError(400, 'invalid_request_error', 'fake refusal')),
      // Not StopFailure: Claude Code does not wait for its hook, and exits before it is through in about one
      // run out of four.
      required: ['UserPromptSubmit', 'MessageDisplay'],
    },
  )
}

/** Bash changes the directory. */
function cwdChangedSession(t: TestContext): Promise<ClaudeSession> {
  return session(
    t,
    'cwd-changed',
    'The model runs Bash `cd sub && pwd`, then Bash `echo still-here`, then answers.',
    {
      prompt: 'change directory',
      args: ['--allowedTools', 'Bash'],
      prepare: (dir) => mkdirSync(join(dir, 'sub')),
      script: mainOnly(
        toolUse(bash('cd sub && pwd', 'Enter sub')),
        toolUse(bash('echo still-here', 'Echo')),
        text('moved'),
      ),
      required: ['UserPromptSubmit', 'CwdChanged', 'Stop'],
    },
  )
}

// ---- checks -----------------------------------------------------------------------------------------------

/** The lines of one event. */
function linesOf(s: ClaudeSession, event: string): Line[] {
  return s.lines.filter((line) => line._event === event)
}

/** The one line of `event` (fails unless exactly one). */
function only(s: ClaudeSession, event: string): Line {
  const found = linesOf(s, event)
  assert.equal(found.length, 1, `one ${event} in ${s.events.join(', ')}\n${s.context()}`)
  return found[0]!
}

/**
 * The events are `expected` in this order. SessionEnd, when it is the last expected event, may be missing (a
 * diagnostic then says so: Claude Code may exit before its hook's curl is through).
 */
function assertEvents(s: ClaudeSession, expected: readonly string[]): void {
  let want = [...expected]
  if (want.at(-1) === 'SessionEnd' && !s.events.includes('SessionEnd')) want = want.slice(0, -1)
  assert.deepEqual(s.events, want, `events in order\n${s.context()}`)
}

/** What holds for every line of a session: the envelope, one session id, the cwd (unless it changed). */
function assertCommon(s: ClaudeSession, options: { cwdChanges?: boolean } = {}): string {
  const sessionId = s.lines[0]?.session_id
  assert.equal(typeof sessionId, 'string', s.context())
  if (s.result !== undefined) assert.equal(s.result.session_id, sessionId, s.context())
  for (const line of s.lines) {
    const where = `line ${JSON.stringify(line).slice(0, 300)}`
    assert.match(String(line._ts), TS_PATTERN, where)
    assert.equal(line.hook_event_name, line._event, where)
    assert.equal(line.session_id, sessionId, where)
    assert.equal(typeof line.transcript_path, 'string', where)
    if (options.cwdChanges !== true) assert.equal(line.cwd, s.project, where)
    // The sender is curl, a child of Claude Code, run by us.
    assert.ok(Number.isInteger(line._peer_pid) && Number(line._peer_pid) > 0, where)
  }
  const start = s.lines[0]!
  assert.equal(start._event, 'SessionStart', s.context())
  assert.equal(start.source, 'startup', s.context())
  return sessionId as string
}

/** Every event after the first UserPromptSubmit of a one-prompt session carries its prompt_id. */
function assertOnePrompt(s: ClaudeSession): void {
  const prompt = only(s, 'UserPromptSubmit')
  assert.equal(typeof prompt.prompt_id, 'string')
  for (const line of s.lines.slice(s.lines.indexOf(prompt))) {
    assert.equal(
      line.prompt_id,
      prompt.prompt_id,
      `prompt_id of ${JSON.stringify(line).slice(0, 300)}`,
    )
  }
}

interface ToolCallLines {
  pre: Line
  /** PostToolUse or PostToolUseFailure. */
  post: Line
}

/**
 * Pairs each PreToolUse with the PostToolUse or PostToolUseFailure of the same tool_use_id (exactly one, later,
 * from the same agent); every Post has its Pre. Returns the pairs in PreToolUse order.
 */
function toolCalls(s: ClaudeSession): ToolCallLines[] {
  const posts = s.lines.filter(
    (l) => l._event === 'PostToolUse' || l._event === 'PostToolUseFailure',
  )
  const pres = linesOf(s, 'PreToolUse')
  for (const post of posts) {
    assert.ok(
      pres.some((pre) => pre.tool_use_id === post.tool_use_id),
      `a PreToolUse for ${post.tool_use_id}\n${s.context()}`,
    )
  }
  return pres.map((pre) => {
    assert.match(String(pre.tool_use_id), /^toolu_/, s.context())
    const matching = posts.filter((post) => post.tool_use_id === pre.tool_use_id)
    assert.equal(matching.length, 1, `one Post for ${pre.tool_use_id}\n${s.context()}`)
    const post = matching[0]!
    assert.ok(s.lines.indexOf(post) > s.lines.indexOf(pre), `Post after Pre\n${s.context()}`)
    assert.equal(post.tool_name, pre.tool_name)
    assert.equal(post.agent_id, pre.agent_id, `the same agent before and after ${pre.tool_use_id}`)
    assert.ok(Number.isInteger(post.duration_ms) && Number(post.duration_ms) >= 0, s.context())
    return { pre, post }
  })
}

/** A PostToolBatch's `tool_calls`: {tool_name, tool_input, tool_use_id, tool_response} each. */
function batchCalls(batch: Line): Line[] {
  const calls = batch.tool_calls
  assert.ok(Array.isArray(calls), `tool_calls is an array: ${JSON.stringify(batch).slice(0, 500)}`)
  for (const call of calls as Line[]) {
    assert.deepEqual(Object.keys(call).sort(), [
      'tool_input',
      'tool_name',
      'tool_response',
      'tool_use_id',
    ])
    assert.equal(typeof call.tool_name, 'string')
    assert.equal(typeof call.tool_use_id, 'string')
    // The result as the model gets it: a string, or content blocks.
    assert.ok(typeof call.tool_response === 'string' || Array.isArray(call.tool_response))
  }
  return calls as Line[]
}

/** Claude Code ran and reported success. */
function assertSuccess(s: ClaudeSession, answer: string): void {
  assert.equal(s.claude.code, 0, s.context())
  assert.ok(s.result, `claude printed its result as JSON\n${s.context()}`)
  assert.equal(s.result.is_error, false, s.context())
  assert.equal(s.result.result, answer, s.context())
}

// ---- the tests --------------------------------------------------------------------------------------------

describe('Claude Code sessions with every hook event', { concurrency: 4 }, () => {
  test('a successful Bash call', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await bashSuccessSession(t)
    assertSuccess(s, 'echoed')
    assertCommon(s)
    assertOnePrompt(s)
    assertEvents(s, [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'PostToolUse',
      'PostToolBatch',
      'MessageDisplay',
      'Stop',
      'SessionEnd',
    ])
    const [call] = toolCalls(s)
    assert.equal(call!.pre.tool_name, 'Bash')
    assert.deepEqual(call!.pre.tool_input, {
      command: 'echo hello-from-session',
      description: 'Print a greeting',
    })
    assert.equal((call!.post.tool_response as Line).stdout, 'hello-from-session')
    const [batched] = batchCalls(only(s, 'PostToolBatch'))
    assert.equal(batched!.tool_use_id, call!.pre.tool_use_id)
    assert.deepEqual(batched!.tool_input, call!.pre.tool_input)
    assert.equal(batched!.tool_response, 'hello-from-session')
    assert.equal(only(s, 'MessageDisplay').delta, 'echoed')
    assert.equal(only(s, 'Stop').last_assistant_message, 'echoed')

    // The observatory's view: ended (SessionEnd's reason), one turn with the prompt, one call with Claude
    // Code's own duration.
    const detail = await sessionOf(s)
    assert.equal(detail.state, 'ended')
    assert.equal(detail.state_reason, only(s, 'SessionEnd').reason)
    assert.equal(detail.source, 'startup')
    const turns = detail.turns as Line[]
    assert.equal(turns.length, 1)
    assert.equal(turns[0]!.prompt_id, call!.pre.prompt_id)
    assert.equal(turns[0]!.outcome, 'done')
    assert.deepEqual(turns[0]!.tool_calls, [call!.pre.tool_use_id])
    const stored = callsById(detail).get(String(call!.pre.tool_use_id))
    assert.equal(stored?.tool_name, 'Bash')
    assert.equal(stored?.outcome, 'ok')
    assert.equal(stored?.input_summary, 'echo hello-from-session')
    assert.equal(stored?.duration_ms, call!.post.duration_ms, "Claude Code's duration_ms")

    // And after a restart on the same store, the same session, the same calls.
    await s.obs.stopCleanly()
    const again = await startCli(t, ['--socket', s.obs.unix.socketPath, '--db', s.db, '--quiet'])
    assert.deepEqual(await apiSession(again.unix, String(s.lines[0]!.session_id)), detail)
  })

  test('a session watched while it runs: its states in order, as GET /api/sessions tells them', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const { s, states } = await watchedSession(t)
    assertSuccess(s, 'waited')
    t.diagnostic(`states seen: ${states.join(' → ')}`)
    // `sleep 1` is long enough to be seen running; the others may pass between two polls.
    const running = states.indexOf('running tool Bash')
    assert.ok(running >= 0, `running tool Bash was seen: ${states.join(' → ')}`)
    assert.equal(states.at(-1), 'ended')
    const order = [
      'starting',
      'thinking',
      'running tool Bash',
      'thinking',
      'waiting for input',
      'ended',
    ]
    // What was seen is that life in order (some states may have been too short to see).
    let at = 0
    for (const state of states) {
      const found = order.indexOf(state, at)
      assert.ok(found >= 0, `${state} out of order in ${states.join(' → ')}`)
      at = found
    }
    const detail = await sessionOf(s)
    const [call] = detail.tool_calls as Line[]
    assert.ok(Number(call!.duration_ms) >= 1000, `sleep 1 took ${call!.duration_ms} ms`)
  })

  test('a failing Bash call: PostToolUseFailure with the error', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await bashFailureSession(t)
    assertSuccess(s, 'it failed')
    assertCommon(s)
    assertOnePrompt(s)
    assertEvents(s, [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'PostToolUseFailure',
      'PostToolBatch',
      'MessageDisplay',
      'Stop',
      'SessionEnd',
    ])
    const [call] = toolCalls(s)
    assert.equal(call!.post._event, 'PostToolUseFailure')
    assert.equal(call!.post.error, 'Exit code 3\noops')
    assert.equal(call!.post.is_interrupt, false)
    assert.equal(call!.post.tool_response, undefined)
    const [batched] = batchCalls(only(s, 'PostToolBatch'))
    assert.equal(batched!.tool_use_id, call!.pre.tool_use_id)
    assert.equal(batched!.tool_response, 'Exit code 3\noops')

    const detail = await sessionOf(s)
    const stored = callsById(detail).get(String(call!.pre.tool_use_id))
    assert.equal(stored?.outcome, 'failed')
    assert.equal(stored?.error, 'Exit code 3\noops')
    assert.equal(stored?.duration_ms, call!.post.duration_ms)
    assert.equal((detail.counts as Line).tool_failures, 1)
  })

  test('a foreground subagent: SubagentStart/Stop, its tool calls marked with agent_id', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await subagentSession(t)
    t.diagnostic(`Agent tool: ${JSON.stringify(s.fake.toolDefinition('Agent')?.input_schema)}`)
    assertSuccess(s, 'main done')
    assertCommon(s)
    assertOnePrompt(s)
    assertEvents(s, [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse', // Agent
      'SubagentStart',
      'PreToolUse', // the subagent's Bash
      'PostToolUse',
      'PostToolBatch', // the subagent's
      'SubagentStop',
      'PostToolUse', // Agent
      'PostToolBatch',
      'MessageDisplay',
      'Stop',
      'SessionEnd',
    ])
    assert.deepEqual(
      s.fake.requests.filter((r) => r.answer !== 'other').map((r) => r.label),
      ['main', 'subagent', 'subagent', 'main'],
      'the fake API told the conversations apart',
    )
    const start = only(s, 'SubagentStart')
    const stop = only(s, 'SubagentStop')
    const agentId = start.agent_id
    assert.match(String(agentId), /^a[0-9a-f]+$/)
    assert.equal(start.agent_type, 'general-purpose')
    assert.equal(stop.agent_id, agentId)
    assert.equal(stop.agent_type, 'general-purpose')
    assert.equal(stop.last_assistant_message, 'subagent done')
    assert.match(String(stop.agent_transcript_path), new RegExp(`agent-${agentId}\\.jsonl$`))

    const [agent, sub] = toolCalls(s)
    await assertSubagentTree(
      s,
      String(agentId),
      String(agent!.pre.tool_use_id),
      String(sub!.pre.tool_use_id),
    )
    assert.equal(agent!.pre.tool_name, 'Agent')
    assert.equal(agent!.pre.agent_id, undefined, 'the main agent has no agent_id')
    assert.equal((agent!.post.tool_response as Line).agentId, agentId)
    assert.equal(sub!.pre.tool_name, 'Bash')
    assert.equal(sub!.pre.agent_id, agentId)
    assert.equal(sub!.pre.agent_type, 'general-purpose')
    // Everything between SubagentStart and SubagentStop is the subagent's, and only that.
    const inside = s.lines.slice(s.lines.indexOf(start), s.lines.indexOf(stop) + 1)
    for (const line of inside) assert.equal(line.agent_id, agentId, JSON.stringify(line))
    for (const line of s.lines) {
      if (!inside.includes(line)) assert.equal(line.agent_id, undefined, JSON.stringify(line))
    }
    const [subBatch, mainBatch] = linesOf(s, 'PostToolBatch')
    assert.equal(batchCalls(subBatch!)[0]!.tool_use_id, sub!.pre.tool_use_id)
    const [agentCall] = batchCalls(mainBatch!)
    assert.equal(agentCall!.tool_use_id, agent!.pre.tool_use_id)
    assert.ok(Array.isArray(agentCall!.tool_response), 'the Agent result is content blocks')
  })

  test('a background subagent: its completion comes back as a second prompt', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await subagentBackgroundSession(t)
    assert.equal(s.claude.code, 0, s.context())
    assertCommon(s)
    const start = only(s, 'SubagentStart')
    const stop = only(s, 'SubagentStop')
    const agentId = start.agent_id
    assert.equal(stop.agent_id, agentId)
    const calls = toolCalls(s)
    const agent = calls.find((c) => c.pre.tool_name === 'Agent')!
    const sub = calls.find((c) => c.pre.tool_name === 'Bash')!
    assert.equal((agent.post.tool_response as Line).status, 'async_launched')
    assert.equal(sub.pre.agent_id, agentId)
    // The Agent call returns at once: its PostToolUse comes before the subagent's work is done.
    assert.ok(s.lines.indexOf(agent.post) < s.lines.indexOf(stop), s.context())
    const prompts = linesOf(s, 'UserPromptSubmit')
    assert.equal(prompts.length, 2, s.context())
    assert.notEqual(prompts[0]!.prompt_id, prompts[1]!.prompt_id)
    assert.match(String(prompts[1]!.prompt), /^<task-notification>/)
    assert.ok(s.lines.indexOf(prompts[1]!) > s.lines.indexOf(stop), s.context())
    const stops = linesOf(s, 'Stop')
    assert.equal(stops.length, 2, s.context())
    const background = stops[0]!.background_tasks as Line[]
    assert.ok(
      background.length === 0 || background[0]!.id === agentId,
      `the first Stop lists the running agent: ${JSON.stringify(background)}`,
    )
    assert.deepEqual(stops[1]!.background_tasks, [])
    // The subagent's events carry the prompt_id of the prompt that started it.
    assert.equal(start.prompt_id, prompts[0]!.prompt_id)
    if (s.events.includes('SessionEnd')) assert.equal(s.events.at(-1), 'SessionEnd')
  })

  test('two Read calls in one answer: interleaved hooks, one PostToolBatch listing both', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await parallelReadsSession(t)
    assertSuccess(s, 'read both')
    assertCommon(s)
    assertOnePrompt(s)
    const middle = s.events.slice(2, 6)
    assert.deepEqual(s.events.slice(0, 2), ['SessionStart', 'UserPromptSubmit'], s.context())
    assert.deepEqual(
      [...middle].sort(),
      ['PostToolUse', 'PostToolUseFailure', 'PreToolUse', 'PreToolUse'],
      s.context(),
    )
    assertEvents(s, [
      ...s.events.slice(0, 6),
      'PostToolBatch',
      'MessageDisplay',
      'Stop',
      'SessionEnd',
    ])
    const calls = toolCalls(s)
    assert.equal(calls.length, 2)
    const ok = calls.find((c) => c.post._event === 'PostToolUse')!
    const failed = calls.find((c) => c.post._event === 'PostToolUseFailure')!
    assert.equal((ok.pre.tool_input as Line).file_path, join(s.project, 'a.txt'))
    assert.equal((failed.pre.tool_input as Line).file_path, join(s.project, 'missing.txt'))
    assert.match(String(failed.post.error), /File does not exist/)
    const batched = batchCalls(only(s, 'PostToolBatch'))
    assert.deepEqual(
      batched.map((c) => c.tool_input),
      [{ file_path: 'a.txt' }, { file_path: 'missing.txt' }],
      'PostToolBatch has the input the model sent',
    )
    // tool_calls are in the order of the model's blocks (above); the results reach the model in the order the
    // calls completed, the hooks in whatever order their curl processes got through.
    assert.deepEqual(
      new Set(batched.map((c) => c.tool_use_id)),
      new Set(calls.map((c) => c.pre.tool_use_id)),
    )
  })

  test('a call not allowed, default mode: PermissionRequest, then denied without a Post', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await permissionRequestSession(t)
    assertSuccess(s, 'could not')
    assertCommon(s)
    assertOnePrompt(s)
    assertEvents(s, [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'PermissionRequest',
      'PostToolBatch',
      'MessageDisplay',
      'Stop',
      'SessionEnd',
    ])
    const pre = only(s, 'PreToolUse')
    const request = only(s, 'PermissionRequest')
    assert.equal(request.tool_name, 'Bash')
    assert.deepEqual(request.tool_input, pre.tool_input)
    assert.equal(request.tool_use_id, undefined, 'PermissionRequest has no tool_use_id')
    assert.ok(Array.isArray(request.permission_suggestions))
    const [batched] = batchCalls(only(s, 'PostToolBatch'))
    assert.equal(batched!.tool_use_id, pre.tool_use_id)
    assert.match(String(batched!.tool_response), /needs approval/)
    const told = s.fake.requests.flatMap((r) => toolResultsOf(r.body))
    assert.equal(told.length, 1)
    assert.equal(told[0]!.is_error, true)
    assert.equal(told[0]!.content, batched!.tool_response)
    assert.deepEqual(
      (s.result!.permission_denials as Line[]).map((d) => d.tool_use_id),
      [pre.tool_use_id],
    )
    assert.equal(existsSync(join(s.project, 'denied-marker')), false, 'the command did not run')

    // Denied in -p mode: no PermissionDenied, no Post: the batch and the Stop tell. The permission request is
    // linked to its call (by tool and input: it has no tool_use_id) and no longer pending.
    const detail = await sessionOf(s)
    const stored = callsById(detail).get(String(pre.tool_use_id))
    assert.equal(stored?.outcome, 'denied')
    assert.ok(
      (stored?.permission as Line | null)?.requested,
      'the PermissionRequest is on its call',
    )
    assert.equal((detail.counts as Line).pending_permissions, 0)
  })

  test('a call not allowed, plan mode: PermissionDenied', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await permissionDeniedPlanSession(t)
    // The auto-mode classifier cannot be reached through the fake API: Claude Code reports an error.
    assert.equal(s.claude.code, 1, s.context())
    assertCommon(s)
    assertOnePrompt(s)
    assertEvents(s, [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'PermissionDenied',
      'PostToolBatch',
      'MessageDisplay',
      'Stop',
      'SessionEnd',
    ])
    const pre = only(s, 'PreToolUse')
    const denied = only(s, 'PermissionDenied')
    assert.equal(denied.tool_use_id, pre.tool_use_id)
    assert.equal(denied.tool_name, 'Bash')
    assert.equal(denied.permission_mode, 'plan')
    assert.equal(typeof denied.reason, 'string')
    const [batched] = batchCalls(only(s, 'PostToolBatch'))
    assert.equal(batched!.tool_use_id, pre.tool_use_id)
    assert.equal(existsSync(join(s.project, 'denied-marker')), false, 'the command did not run')
  })

  test('a call not allowed, dontAsk mode: denied with no permission event', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await permissionDontAskSession(t)
    assertSuccess(s, 'could not')
    assertCommon(s)
    assertOnePrompt(s)
    assertEvents(s, [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'PostToolBatch',
      'MessageDisplay',
      'Stop',
      'SessionEnd',
    ])
    const pre = only(s, 'PreToolUse')
    const [batched] = batchCalls(only(s, 'PostToolBatch'))
    assert.equal(batched!.tool_use_id, pre.tool_use_id)
    assert.match(String(batched!.tool_response), /don't ask mode/)
    assert.equal(existsSync(join(s.project, 'denied-marker')), false, 'the command did not run')
  })

  test('a disallowed tool: no PreToolUse, only PostToolBatch', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await toolDisallowedSession(t)
    assertSuccess(s, 'could not')
    assertCommon(s)
    assertOnePrompt(s)
    assertEvents(s, [
      'SessionStart',
      'UserPromptSubmit',
      'PostToolBatch',
      'MessageDisplay',
      'Stop',
      'SessionEnd',
    ])
    const [batched] = batchCalls(only(s, 'PostToolBatch'))
    assert.equal(batched!.tool_name, 'Bash')
    assert.match(String(batched!.tool_response), /No such tool available: Bash/)
  })

  test('an API error: StopFailure instead of Stop', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await apiErrorSession(t)
    assert.equal(s.claude.code, 1, s.context())
    assert.equal(s.result?.is_error, true, s.context())
    assertCommon(s)
    assertOnePrompt(s)
    assert.match(String(only(s, 'MessageDisplay').delta), /^API Error: 400 .*fake refusal/)
    const failures = linesOf(s, 'StopFailure')
    if (failures.length === 0) {
      t.diagnostic('no StopFailure arrived (Claude Code exited before its hook was through)')
      assertEvents(s, ['SessionStart', 'UserPromptSubmit', 'MessageDisplay', 'SessionEnd'])
    } else {
      assertEvents(s, [
        'SessionStart',
        'UserPromptSubmit',
        'MessageDisplay',
        'StopFailure',
        'SessionEnd',
      ])
      const [failure] = failures
      assert.equal(failure!.error, 'unknown')
      assert.match(String(failure!.last_assistant_message), /^API Error: 400 .*fake refusal/)
    }
  })

  test('Bash changes the directory: CwdChanged, then the new cwd', {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    if (skipped(t, true, LABEL)) return
    const s = await cwdChangedSession(t)
    assertSuccess(s, 'moved')
    assertCommon(s, { cwdChanges: true })
    assertOnePrompt(s)
    // CwdChanged's hook runs alongside the Bash call's PostToolUse hooks: either may arrive first.
    const [first, second] = s.events.slice(3, 5)
    assert.deepEqual([first, second].sort(), ['CwdChanged', 'PostToolUse'], s.context())
    assertEvents(s, [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      first!,
      second!,
      'PostToolBatch',
      'PreToolUse',
      'PostToolUse',
      'PostToolBatch',
      'MessageDisplay',
      'Stop',
      'SessionEnd',
    ])
    const [cd] = toolCalls(s)
    const changed = only(s, 'CwdChanged')
    const sub = join(s.project, 'sub')
    assert.equal(changed.old_cwd, s.project)
    assert.equal(changed.new_cwd, sub)
    // Up to the `cd` call's PreToolUse, the old cwd; from its PostToolUse on, the new one.
    const pre = s.lines.indexOf(cd!.pre)
    s.lines.forEach((line, i) => {
      assert.equal(
        line.cwd,
        i <= pre ? s.project : sub,
        `cwd of ${JSON.stringify(line).slice(0, 300)}`,
      )
    })
  })
})
