import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { parseJson } from '../../../src/observatory/encoding/index.ts'
import {
  type HookEvent,
  hookEventFromJson,
  SessionModel,
} from '../../../src/observatory/sessions/index.ts'

const T0 = Date.parse('2026-02-09T10:00:00Z')
const NOW = T0 + 600_000
const RUNS = { numRuns: 300 }

const KNOWN = [
  'SessionStart',
  'Setup',
  'UserPromptSubmit',
  'UserPromptExpansion',
  'PreToolUse',
  'PermissionRequest',
  'PermissionDenied',
  'PostToolUse',
  'PostToolUseFailure',
  'PostToolBatch',
  'Notification',
  'MessageDisplay',
  'SubagentStart',
  'SubagentStop',
  'TaskCreated',
  'TaskCompleted',
  'Stop',
  'StopFailure',
  'TeammateIdle',
  'InstructionsLoaded',
  'ConfigChange',
  'CwdChanged',
  'FileChanged',
  'WorktreeCreate',
  'WorktreeRemove',
  'PreCompact',
  'PostCompact',
  'Elicitation',
  'ElicitationResult',
  'SessionEnd',
  'PreModelSwitch',
  'PostModelSwitch',
]

const json = fc.jsonValue({ maxDepth: 2 })
/** Mostly plausible values, sometimes anything at all. */
const some = (...values: unknown[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, json)

const timestamp = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.integer({ min: 0, max: 3600 }).map((s) => new Date(T0 + s * 1000).toISOString()),
  },
  { weight: 1, arbitrary: json },
)

const batchEntry = fc.record(
  {
    tool_use_id: some('t1', 't2', 't3', 4),
    tool_name: some('Bash', 'Read', 'Agent'),
    tool_input: some({ command: 'ls' }, { file_path: '/a' }),
    tool_response: some('ok', 'This command requires approval', 'Exit code 1', [
      { type: 'text', text: 'x' },
    ]),
    is_error: some(true, false, 'true'),
  },
  { requiredKeys: [] },
)

const fields = fc.record(
  {
    _ts: timestamp,
    hook_event_name: some('Stop', 'PreToolUse'),
    tool_use_id: some('t1', 't2', 't3', 1, ''),
    tool_name: some('Bash', 'Read', 'Agent', 'Task', ''),
    tool_input: some({ command: 'ls' }, { command: 'rm -rf x' }, { subagent_type: 'Explore' }, {}),
    agent_id: some('ag1', 'ag2', 3, ''),
    agent_type: some('Explore', 'Plan'),
    prompt_id: some('p1', 'p2', 'p3'),
    prompt: some('do it', ''),
    duration_ms: some(12, '34', 'soon', -5),
    error: some('boom', 'rate_limit'),
    is_interrupt: some(true, false, 'true'),
    tool_calls: fc.oneof(fc.array(batchEntry, { maxLength: 4 }), json),
    source: some('startup', 'resume', 'compact', 'clear'),
    notification_type: some(
      'permission_prompt',
      'idle_prompt',
      'elicitation_dialog',
      'auth_success',
    ),
    message: some('Claude needs your permission', 'hi'),
    reason: some('logout', 'other'),
    model: some('claude-opus-5'),
    to_model: some('claude-sonnet-5'),
    cwd: some('/p/app', ''),
    new_cwd: some('/p/app/src'),
    permission_mode: some('default', 'plan'),
    trigger: some('auto', 'manual'),
  },
  { requiredKeys: [] },
)

const eventName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 1, arbitrary: json },
)

/** A random event: for s1 or s2 most of the time, else with a missing or unusable session_id. */
const event: fc.Arbitrary<HookEvent> = fc
  .tuple(
    eventName,
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('s1', 's2') },
      { weight: 1, arbitrary: fc.constantFrom(undefined, '', 42, null) },
    ),
    fields,
  )
  .map(([name, sid, rest]) => {
    const e: HookEvent = { _event: name, ...rest }
    if (sid !== undefined) e.session_id = sid
    return e
  })

/** The events of one session (s1), for the permission properties. */
const s1Event = event.map((e) => ({ ...e, session_id: 's1' }))

function sessionOf(e: HookEvent): string | null {
  return typeof e.session_id === 'string' && e.session_id !== '' ? e.session_id : null
}

// Mirrors of the model's readers, to tell which events are meant to resolve a permission.
function str(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
function ident(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return null
}
function nameOf(e: HookEvent): string {
  return str(e._event) || str(e.hook_event_name) || 'Unknown'
}
function entries(e: HookEvent): Record<string, unknown>[] {
  return Array.isArray(e.tool_calls)
    ? e.tool_calls.filter(
        (x): x is Record<string, unknown> =>
          typeof x === 'object' && x !== null && !Array.isArray(x),
      )
    : []
}

const TARGET_CALL = 'target-call'
const TARGET_INPUT = { command: 'the target command' }

/** Whether `e` is one of the events that may resolve the target permission (linked to TARGET_CALL, or not). */
function resolves(e: HookEvent, linked: boolean): boolean {
  if (sessionOf(e) !== 's1') return false
  const name = nameOf(e)
  const main = ident(e.agent_id) === null
  if (name === 'SessionEnd') return true
  if (main && ['Stop', 'StopFailure', 'UserPromptSubmit', 'UserPromptExpansion'].includes(name))
    return true
  if (main && name === 'SessionStart' && e.source !== 'compact') return true
  if (linked) {
    if (['PostToolUse', 'PostToolUseFailure', 'PermissionDenied'].includes(name)) {
      return ident(e.tool_use_id) === TARGET_CALL
    }
    if (name === 'PostToolBatch')
      return entries(e).some((x) => ident(x.tool_use_id) === TARGET_CALL)
    return false
  }
  // unlinked (or linked by the model to some other running Bash call): any tool outcome or subagent end may be
  // the one that answers it
  return [
    'PostToolUse',
    'PostToolUseFailure',
    'PermissionDenied',
    'PostToolBatch',
    'SubagentStop',
  ].includes(name)
}

function assertWaiting(model: SessionModel, after: string): void {
  const s = model.summary('s1', NOW)
  assert.ok(s !== undefined)
  assert.equal(s.state, 'waiting for permission', after)
  assert.ok(s.counts.pending_permissions >= 1, after)
}

test('random events never throw; counts and lists stay consistent', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), (events) => {
      const model = new SessionModel()
      const bounded = new SessionModel({ maxTurns: 2, maxToolCalls: 3 })
      const expected = new Map<string, number>()
      for (const e of events) {
        const result = model.apply(e)
        bounded.apply(e)
        const sid = sessionOf(e)
        assert.equal(result.session_id, sid ?? '')
        if (sid !== null) expected.set(sid, (expected.get(sid) ?? 0) + 1)
        else assert.deepEqual(result.tool_calls, [])
      }
      assert.equal(model.faults, 0)
      assert.equal(bounded.faults, 0)
      assert.equal(model.size, expected.size)
      assert.equal(model.summaries(NOW).length, expected.size)
      for (const [sid, n] of expected) {
        const d = model.detail(sid, NOW)
        assert.ok(d !== undefined)
        assert.equal(d.counts.events, n)
        assert.deepEqual(JSON.parse(JSON.stringify(d)), d, 'plain JSON')
        // unbounded: the lists hold everything the counts count
        assert.equal(d.counts.tool_calls, d.tool_calls.length)
        assert.equal(d.counts.turns, d.turns.length)
        assert.equal(d.counts.subagents, d.subagents.length)
        assert.equal(
          d.counts.tool_failures,
          d.tool_calls.filter((c) => c.outcome === 'failed').length,
        )
        if (d.counts.pending_permissions > 0 && d.state !== 'ended') {
          assert.equal(d.state, 'waiting for permission')
        }
        if (d.state === 'running tool') assert.notEqual(d.current_tool, null)
        for (const c of d.tool_calls) assert.ok(Array.from(c.input_summary).length <= 200)
        // bounded: same counts, shorter lists, running calls kept
        const b = bounded.detail(sid, NOW)
        assert.ok(b !== undefined)
        assert.deepEqual(b.counts, d.counts)
        assert.equal(b.state, d.state)
        assert.ok(b.turns.length <= 2)
        const running = d.tool_calls.filter((c) => c.outcome === 'running').length
        assert.ok(b.tool_calls.length <= Math.max(3, running))
        assert.equal(b.tool_calls.filter((c) => c.outcome === 'running').length, running)
      }
    }),
    RUNS,
  )
})

test('a pending PermissionRequest is never lost to unrelated events', () => {
  fc.assert(
    fc.property(
      fc.array(event, { maxLength: 25 }),
      fc.boolean(),
      fc.array(s1Event, { maxLength: 40 }),
      (prefix, linked, rest) => {
        const model = new SessionModel()
        for (const e of prefix) model.apply(e)
        const ts = new Date(T0 + 4000 * 1000).toISOString()
        if (linked) {
          model.apply({
            _ts: ts,
            _event: 'PreToolUse',
            session_id: 's1',
            tool_use_id: TARGET_CALL,
            tool_name: 'Bash',
            tool_input: TARGET_INPUT,
          })
        }
        model.apply({
          _ts: ts,
          _event: 'PermissionRequest',
          session_id: 's1',
          tool_name: 'Bash',
          tool_input: TARGET_INPUT,
        })
        assertWaiting(model, 'the request')
        for (const e of rest) {
          const resolver = resolves(e, linked)
          model.apply(e)
          if (resolver) {
            if (linked) {
              const call = model
                .detail('s1', NOW)
                ?.tool_calls.find((c) => c.tool_use_id === TARGET_CALL)
              assert.ok(call?.permission?.resolved !== null, `resolved by ${nameOf(e)}`)
            }
            break
          }
          assertWaiting(model, `after ${nameOf(e)}`)
        }
        assert.equal(model.faults, 0)
      },
    ),
    RUNS,
  )
})

test('a pending PermissionRequest survives a stream of unrelated events (filtered)', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.array(s1Event, { maxLength: 60 }), (linked, stream) => {
      const model = new SessionModel()
      model.apply({
        _ts: new Date(T0).toISOString(),
        _event: 'UserPromptSubmit',
        session_id: 's1',
        prompt_id: 'p',
      })
      if (linked) {
        model.apply({
          _event: 'PreToolUse',
          session_id: 's1',
          tool_use_id: TARGET_CALL,
          tool_name: 'Bash',
          tool_input: TARGET_INPUT,
        })
      }
      model.apply({
        _event: 'PermissionRequest',
        session_id: 's1',
        tool_name: 'Bash',
        tool_input: TARGET_INPUT,
      })
      for (const e of stream.filter((x) => !resolves(x, linked))) {
        model.apply(e)
        assertWaiting(model, `after ${nameOf(e)}`)
      }
      assert.equal(model.faults, 0)
    }),
    RUNS,
  )
})

test('events converted from the server’s JSON give the same sessions as parsed lines', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 40 }), (events) => {
      const parsed = new SessionModel()
      const converted = new SessionModel()
      for (const e of events) {
        const line = JSON.stringify(e)
        parsed.apply(JSON.parse(line))
        const value = parseJson(line)
        assert.ok(value instanceof Map)
        converted.apply(hookEventFromJson(value))
      }
      for (const sid of ['s1', 's2']) {
        assert.deepEqual(converted.detail(sid, NOW), parsed.detail(sid, NOW))
      }
    }),
    RUNS,
  )
})
