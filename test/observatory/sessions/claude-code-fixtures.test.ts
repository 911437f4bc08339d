/**
 * The session model on what the real Claude Code CLI sent (test/observatory/fixtures/claude-code/, recorded by
 * claude-code-sessions.test.ts): each recorded session, replayed line by line, ends in the state and with the
 * tool calls the run had. These run everywhere, with or without the CLI installed.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { type HookEvent, SessionModel } from '../../../src/observatory/sessions/index.ts'

const DIR = new URL('../fixtures/claude-code/', import.meta.url)

interface Fixture {
  scenario: string
  lines: HookEvent[]
}

function load(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as Fixture
}

function replay(fixture: Fixture) {
  const model = new SessionModel()
  for (const line of fixture.lines) model.apply(line)
  const id = String(fixture.lines[0]!.session_id)
  const last = Date.parse(String(fixture.lines.at(-1)!._ts))
  const detail = model.detail(id, last)
  assert.ok(detail, `${fixture.scenario}: a session`)
  return { model, detail }
}

const byName = (lines: HookEvent[], event: string) => lines.filter((l) => l._event === event)

for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json'))) {
  test(`${file}: every event counted, no fault, nothing left running`, () => {
    const fixture = load(file)
    const { model, detail } = replay(fixture)
    assert.equal(model.faults, 0)
    assert.equal(detail.counts.events, fixture.lines.length)
    assert.equal(detail.counts.pending_permissions, 0)
    // Every call ended one way or another: the session's turn is over.
    for (const call of detail.tool_calls) assert.notEqual(call.outcome, 'running', call.tool_use_id)
    if (byName(fixture.lines, 'SessionEnd').length > 0) assert.equal(detail.state, 'ended')
  })
}

test('bash-failure: the call failed with its error', () => {
  const { detail } = replay(load('bash-failure.json'))
  const [call] = detail.tool_calls
  assert.equal(call?.outcome, 'failed')
  assert.equal(call?.error, 'Exit code 3\noops')
  assert.equal(detail.counts.tool_failures, 1)
})

test('permission-request: the PermissionRequest is linked to its call, which is denied (no Post in -p)', () => {
  const fixture = load('permission-request.json')
  const { detail } = replay(fixture)
  const [pre] = byName(fixture.lines, 'PreToolUse')
  const call = detail.tool_calls.find((c) => c.tool_use_id === pre!.tool_use_id)
  assert.equal(call?.outcome, 'denied')
  assert.ok(call?.permission?.requested)
})

test('permission-denied-plan: PermissionDenied denies the call', () => {
  const { detail } = replay(load('permission-denied-plan.json'))
  assert.deepEqual(
    detail.tool_calls.map((c) => c.outcome),
    ['denied'],
  )
})

test('subagent: the subagent hangs under the Agent call, its Bash call under it', () => {
  const fixture = load('subagent.json')
  const { detail } = replay(fixture)
  const [start] = byName(fixture.lines, 'SubagentStart')
  const agentCall = detail.tool_calls.find((c) => c.tool_name === 'Agent')
  const bash = detail.tool_calls.find((c) => c.tool_name === 'Bash')
  assert.equal(detail.subagents.length, 1)
  assert.equal(detail.subagents[0]!.agent_id, start!.agent_id)
  assert.equal(detail.subagents[0]!.parent_tool_use_id, agentCall?.tool_use_id)
  assert.equal(bash?.agent_id, start!.agent_id)
  assert.equal(detail.turns.length, 1, "the subagent's events are not a turn of their own")
})

test('api-error: a StopFailure (when delivered) leaves the session idle with the error', () => {
  const fixture = load('api-error.json')
  const { detail } = replay(fixture)
  if (byName(fixture.lines, 'StopFailure').length === 0) return
  const turn = detail.turns.at(-1)
  assert.equal(turn?.outcome, 'failed')
})
