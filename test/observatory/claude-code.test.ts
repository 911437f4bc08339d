/**
 * The real Claude Code CLI drives the observatory, offline. A fake Anthropic Messages API (fake-anthropic.ts)
 * makes the model call Bash once (`echo hello-from-fake`) and then answer "done"; the hooks are installed into a
 * temporary project's `.claude/settings.json` by the repository's own `observatory install --project`; then
 * `claude -p "run echo" --allowedTools Bash` runs there with a temporary HOME and TMPDIR, and the test reads what
 * the observatory printed.
 *
 * Two transports: command hooks running curl through the Unix socket (`--transport unix`), and Claude Code's
 * native HTTP hooks to the TCP port (`--transport http`; Claude Code skips HTTP hooks for SessionStart).
 *
 * Skipped, with the reason printed, when `claude` is not on PATH (.ci/run installs it with
 * `npm install -g @anthropic-ai/claude-code`, tolerating a failure), and the Unix case when curl is not.
 */
import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { type Line, runClaudeSession, skipped as skippedFor } from './claude-code-harness.ts'
import { FAKE_ANSWER, FAKE_COMMAND } from './fake-anthropic.ts'
import { TS_PATTERN } from './helpers.ts'

/** Skip `t` when Claude Code (or, with `needCurl`, curl) is missing, saying why on stdout too. */
function skipped(t: TestContext, needCurl: boolean): boolean {
  return skippedFor(t, needCurl, 'claude-code.test')
}

/** What one run of the scenario left behind, for the transport-specific checks. */
interface Outcome {
  lines: Line[]
  events: string[]
}

/**
 * Start the observatory and the fake API, install the hooks with `install --project --transport <transport>`,
 * run `claude -p`, and check what holds for every transport.
 */
async function scenario(
  t: TestContext,
  transport: 'unix' | 'http',
  required: readonly string[],
): Promise<Outcome> {
  const session = await runClaudeSession(t, {
    transport,
    prompt: 'run echo',
    args: ['--allowedTools', 'Bash'],
    required,
  })
  const { claude, fake, lines, events, context } = session
  assert.equal(claude.code, 0, context())
  const result = session.result
  assert.ok(result, `claude printed its result as JSON\n${context()}`)
  assert.equal(result.is_error, false, context())
  assert.equal(result.result, FAKE_ANSWER, context())
  assert.ok(
    fake.requests.some((r) => r.answer === 'tool_use') &&
      fake.requests.some((r) => r.answer === 'text'),
    `the fake API was asked for the tool call and for the answer\n${context()}`,
  )
  if (events.includes('SessionEnd')) {
    assert.equal(events.at(-1), 'SessionEnd', `the session ends last: ${events.join(', ')}`)
  }

  const sessionId = result.session_id
  assert.equal(typeof sessionId, 'string')
  const cwd = session.project
  for (const line of lines) {
    const where = `line ${JSON.stringify(line).slice(0, 300)}`
    assert.match(String(line._ts), TS_PATTERN, where)
    assert.equal(line.hook_event_name, line._event, where)
    assert.equal(line.session_id, sessionId, where)
    assert.equal(line.cwd, cwd, where)
    assert.equal(typeof line.transcript_path, 'string', where)
  }

  const prompt = lines.find((line) => line._event === 'UserPromptSubmit')!
  assert.equal(prompt.prompt, 'run echo')

  const pre = lines.find(
    (line) =>
      line._event === 'PreToolUse' &&
      line.tool_name === 'Bash' &&
      String((line.tool_input as Line | undefined)?.command).includes('hello-from-fake'),
  )
  assert.ok(pre, `a PreToolUse for Bash running ${FAKE_COMMAND}\n${context()}`)
  assert.equal(typeof pre.tool_use_id, 'string')
  const post = lines.find(
    (line) => line._event === 'PostToolUse' && line.tool_use_id === pre.tool_use_id,
  )
  assert.ok(post, `a PostToolUse with tool_use_id ${pre.tool_use_id}\n${context()}`)
  assert.equal(post.tool_name, 'Bash')
  assert.deepEqual(post.tool_input, pre.tool_input)
  assert.match(JSON.stringify(post.tool_response), /hello-from-fake/, 'the tool ran')
  for (const line of [prompt, pre, post]) assert.equal(typeof line.permission_mode, 'string')

  // The order the hooks must run in: the prompt, before and after the tool, the end of the turn.
  const order = ['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop'].map((event) =>
    events.indexOf(event),
  )
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    order,
    `events in order: ${events.join(', ')}`,
  )
  return { lines, events }
}

test('Claude Code drives the observatory: command hooks with curl over the Unix socket', {
  timeout: 240_000,
}, async (t) => {
  if (skipped(t, true)) return
  const required = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']
  const { lines, events } = await scenario(t, 'unix', required)
  assert.equal(events[0], 'SessionStart', `the session starts first: ${events.join(', ')}`)
  const start = lines[0]!
  assert.equal(start.source, 'startup')
  for (const line of lines) {
    const where = `line ${JSON.stringify(line).slice(0, 300)}`
    // The sender is curl, a child of Claude Code, run by us.
    assert.ok(Number.isInteger(line._peer_pid) && Number(line._peer_pid) > 0, where)
    assert.equal(line._peer_uid, process.getuid?.(), where)
    assert.equal(line._peer_gid, process.getgid?.(), where)
  }
})

test('Claude Code drives the observatory: native HTTP hooks to the TCP port', {
  timeout: 240_000,
}, async (t) => {
  if (skipped(t, false)) return
  // No SessionStart here: Claude Code skips HTTP hooks for it.
  const required = ['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']
  const { lines, events } = await scenario(t, 'http', required)
  for (const line of lines) {
    const where = `line ${JSON.stringify(line).slice(0, 300)}`
    assert.equal(line._client, '127.0.0.1', where)
    assert.equal(line._peer_pid, undefined, where)
  }
  if (events.includes('SessionStart')) t.diagnostic('SessionStart arrived over an HTTP hook')
})
