import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseJson } from '../../../src/observatory/encoding/index.ts'
import {
  type HookEvent,
  hookEventFromJson,
  inputSummary,
  project,
  SESSION_KEYS,
  type SessionDetail,
  SessionModel,
  type SessionModelOptions,
  type SessionState,
  type SessionSummary,
} from '../../../src/observatory/sessions/index.ts'

const T0 = Date.parse('2026-02-09T10:00:00Z')
const SID = 'sess-1'

/** `_ts` as the server writes it, `seconds` after T0. */
function ts(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00')
}

type Step = [name: string, fields?: Record<string, unknown>]

/** Applies `steps` one second apart (step i at T0 + i s) to a fresh model and returns it. */
function run(steps: Step[], options?: SessionModelOptions): SessionModel {
  const model = new SessionModel(options)
  steps.forEach(([name, fields], i) => {
    model.apply({ _ts: ts(i), _event: name, session_id: SID, hook_event_name: name, ...fields })
  })
  assert.equal(model.faults, 0)
  return model
}

function summaryOf(model: SessionModel, now = T0): SessionSummary {
  const summary = model.summary(SID, now)
  assert.ok(summary !== undefined)
  return summary
}

function detailOf(model: SessionModel, now = T0): SessionDetail {
  const detail = model.detail(SID, now)
  assert.ok(detail !== undefined)
  return detail
}

function callOf(model: SessionModel, id: string) {
  const call = detailOf(model).tool_calls.find((c) => c.tool_use_id === id)
  assert.ok(call !== undefined, `call ${id}`)
  return call
}

const bash = (command: string) => ({ tool_name: 'Bash', tool_input: { command } })
const prompt = (id: string, text = `prompt ${id}`): Step => [
  'UserPromptSubmit',
  { prompt_id: id, prompt: text },
]
const pre = (id: string, command = 'ls', extra: Record<string, unknown> = {}): Step => [
  'PreToolUse',
  { tool_use_id: id, ...bash(command), ...extra },
]
const post = (id: string, command = 'ls', extra: Record<string, unknown> = {}): Step => [
  'PostToolUse',
  { tool_use_id: id, ...bash(command), tool_response: { stdout: 'x' }, ...extra },
]
const ask = (command = 'ls', extra: Record<string, unknown> = {}): Step => [
  'PermissionRequest',
  { ...bash(command), ...extra },
]

// ---------------------------------------------------------------------------------------------------------------

interface Case {
  name: string
  steps: Step[]
  state: SessionState
  reason?: string | null
  tool?: string | null
}

const ACTIVITY: Step[] = [
  ['FileChanged', { file_path: '/p/.envrc', event: 'change' }],
  ['CwdChanged', { old_cwd: '/p', new_cwd: '/p/src' }],
  ['ConfigChange', { source: 'project_settings' }],
  ['InstructionsLoaded', { file_path: '/p/CLAUDE.md', load_reason: 'session_start' }],
  ['MessageDisplay', { delta: 'Hello' }],
  ['TaskCreated', { task_id: 'task-1', task_subject: 'x' }],
  ['TeammateIdle', { teammate_name: 'r' }],
  ['WorktreeCreate', { name: 'w' }],
  ['PreModelSwitch', { from_model: 'a', to_model: 'b' }],
  ['SomethingBrandNew', { whatever: [1, 2, 3] }],
  ['Unknown'],
  ['Notification', { notification_type: 'auth_success', message: 'ok' }],
]

const CASES: Case[] = [
  { name: 'SessionStart', steps: [['SessionStart', { source: 'startup' }]], state: 'starting' },
  { name: 'Setup', steps: [['Setup', { trigger: 'init' }]], state: 'starting' },
  {
    name: 'a prompt',
    steps: [['SessionStart', { source: 'startup' }], prompt('p1')],
    state: 'thinking',
  },
  {
    name: 'a command expansion',
    steps: [['UserPromptExpansion', { prompt: '/deploy', prompt_id: 'p1' }]],
    state: 'thinking',
  },
  { name: 'a call', steps: [prompt('p1'), pre('t1')], state: 'running tool', tool: 'Bash' },
  {
    name: 'running Bash then CwdChanged (the issue)',
    steps: [
      prompt('p1'),
      pre('t1', 'cd src'),
      ['CwdChanged', { old_cwd: '/p', new_cwd: '/p/src' }],
    ],
    state: 'running tool',
    tool: 'Bash',
  },
  {
    name: 'running tool then any activity',
    steps: [prompt('p1'), pre('t1'), ...ACTIVITY],
    state: 'running tool',
    tool: 'Bash',
  },
  {
    name: 'PermissionRequest then FileChanged (the issue)',
    steps: [prompt('p1'), pre('t1'), ask(), ['FileChanged', { file_path: '/p/a', event: 'add' }]],
    state: 'waiting for permission',
    reason: null,
    tool: 'Bash',
  },
  {
    name: 'waiting for permission then any activity',
    steps: [prompt('p1'), pre('t1'), ask(), ...ACTIVITY],
    state: 'waiting for permission',
    tool: 'Bash',
  },
  {
    name: 'a permission without its PreToolUse',
    steps: [prompt('p1'), ask('rm -rf x')],
    state: 'waiting for permission',
    tool: 'Bash',
  },
  {
    name: 'PermissionRequest then its permission_prompt notification',
    steps: [
      prompt('p1'),
      pre('t1'),
      ask(),
      [
        'Notification',
        { notification_type: 'permission_prompt', message: 'Claude needs your permission' },
      ],
    ],
    state: 'waiting for permission',
    reason: 'permission_prompt',
    tool: 'Bash',
  },
  {
    name: 'a permission answered',
    steps: [prompt('p1'), pre('t1'), ask(), post('t1')],
    state: 'thinking',
    tool: null,
  },
  {
    name: 'a permission_prompt notification alone (no hook for PermissionRequest)',
    steps: [prompt('p1'), pre('t1'), ['Notification', { notification_type: 'permission_prompt' }]],
    state: 'waiting for permission',
    reason: 'permission_prompt',
    tool: 'Bash',
  },
  {
    name: 'a permission_prompt notification, then the call goes on',
    steps: [
      prompt('p1'),
      pre('t1'),
      ['Notification', { notification_type: 'permission_prompt' }],
      ['FileChanged'],
      post('t1'),
    ],
    state: 'thinking',
  },
  {
    name: 'a notification of another type',
    steps: [prompt('p1'), ['Notification', { notification_type: 'auth_success' }]],
    state: 'thinking',
  },
  {
    name: 'Stop',
    steps: [prompt('p1'), pre('t1'), post('t1'), ['Stop']],
    state: 'waiting for input',
    reason: null,
  },
  {
    name: 'Stop, then the idle prompt',
    steps: [prompt('p1'), ['Stop'], ['Notification', { notification_type: 'idle_prompt' }]],
    state: 'waiting for input',
    reason: 'idle_prompt',
  },
  {
    name: 'an elicitation dialog notification',
    steps: [prompt('p1'), ['Notification', { notification_type: 'elicitation_dialog' }]],
    state: 'waiting for input',
    reason: 'elicitation_dialog',
  },
  {
    name: 'StopFailure',
    steps: [prompt('p1'), ['StopFailure', { error: 'rate_limit' }]],
    state: 'idle',
    reason: 'rate_limit',
  },
  {
    name: 'an MCP elicitation during a call',
    steps: [
      prompt('p1'),
      ['PreToolUse', { tool_use_id: 'm1', tool_name: 'mcp__mem__ask', tool_input: {} }],
      ['Elicitation', { mcp_server_name: 'mem' }],
    ],
    state: 'waiting for input',
    reason: 'elicitation_dialog',
  },
  {
    name: 'an MCP elicitation answered: back to the running call',
    steps: [
      prompt('p1'),
      ['PreToolUse', { tool_use_id: 'm1', tool_name: 'mcp__mem__ask', tool_input: {} }],
      ['Elicitation', { mcp_server_name: 'mem' }],
      ['ElicitationResult', { action: 'accept' }],
    ],
    state: 'running tool',
    tool: 'mcp__mem__ask',
  },
  {
    name: 'PreCompact',
    steps: [prompt('p1'), ['PreCompact', { trigger: 'auto' }]],
    state: 'compacting',
    reason: 'auto',
  },
  {
    name: 'PostCompact inside a turn',
    steps: [
      prompt('p1'),
      ['PreCompact', { trigger: 'auto' }],
      ['SessionStart', { source: 'compact' }],
      ['PostCompact', { trigger: 'auto' }],
    ],
    state: 'thinking',
  },
  {
    name: 'PostCompact between turns',
    steps: [prompt('p1'), ['Stop'], ['PreCompact', { trigger: 'manual' }], ['PostCompact']],
    state: 'waiting for input',
  },
  {
    name: 'PostCompact before any turn',
    steps: [['SessionStart'], ['PreCompact', { trigger: 'manual' }], ['PostCompact']],
    state: 'idle',
  },
  {
    name: 'SessionEnd',
    steps: [prompt('p1'), pre('t1'), ['SessionEnd', { reason: 'logout' }]],
    state: 'ended',
    reason: 'logout',
  },
  {
    name: 'activity after SessionEnd',
    steps: [
      ['SessionEnd', { reason: 'other' }],
      ['FileChanged'],
      ['Notification', { notification_type: 'idle_prompt' }],
    ],
    state: 'ended',
    reason: 'other',
  },
  {
    name: 'resumed after SessionEnd',
    steps: [
      prompt('p1'),
      ['SessionEnd', { reason: 'prompt_input_exit' }],
      ['SessionStart', { source: 'resume' }],
    ],
    state: 'starting',
    reason: null,
  },
  {
    name: 'a prompt after SessionEnd',
    steps: [['SessionEnd', { reason: 'clear' }], prompt('p2')],
    state: 'thinking',
  },
  {
    name: 'a subagent working while its Agent call runs',
    steps: [
      prompt('p1'),
      [
        'PreToolUse',
        { tool_use_id: 'a1', tool_name: 'Agent', tool_input: { subagent_type: 'Explore' } },
      ],
      ['SubagentStart', { agent_id: 'ag1', agent_type: 'Explore' }],
      [
        'PreToolUse',
        { tool_use_id: 'r1', tool_name: 'Read', tool_input: { file_path: '/a' }, agent_id: 'ag1' },
      ],
    ],
    state: 'running tool',
    tool: 'Read',
  },
  {
    name: 'a subagent Stop-like event does not end the main turn',
    steps: [
      prompt('p1'),
      ['PreToolUse', { tool_use_id: 'a1', tool_name: 'Agent', tool_input: {} }],
      ['SubagentStart', { agent_id: 'ag1', agent_type: 'general-purpose' }],
      ['UserPromptSubmit', { agent_id: 'ag1', prompt: 'inner' }],
      ['Stop', { agent_id: 'ag1' }],
      ['SubagentStop', { agent_id: 'ag1', agent_type: 'general-purpose' }],
    ],
    state: 'running tool',
    tool: 'Agent',
  },
  {
    name: 'PostToolBatch after the calls',
    steps: [
      prompt('p1'),
      pre('t1'),
      post('t1'),
      [
        'PostToolBatch',
        { tool_calls: [{ tool_use_id: 't1', tool_name: 'Bash', tool_response: 'x' }] },
      ],
    ],
    state: 'thinking',
  },
  {
    name: 'a session first seen mid-call',
    steps: [pre('t1')],
    state: 'running tool',
    tool: 'Bash',
  },
  {
    name: 'a session first seen through activity',
    steps: [['FileChanged']],
    state: 'idle',
  },
]

describe('states', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const s = summaryOf(run(c.steps))
      assert.equal(s.state, c.state)
      if (c.reason !== undefined) assert.equal(s.state_reason, c.reason)
      if (c.tool !== undefined) assert.equal(s.state_tool, c.tool)
      assert.equal(s.counts.events, c.steps.length)
      assert.equal(s.last_event, c.steps[c.steps.length - 1]![0])
      assert.equal(s.last_event_time, T0 + (c.steps.length - 1) * 1000)
    })
  }
})

describe('state bookkeeping', () => {
  test('state_since moves only when the state changes', () => {
    const model = run([prompt('p1'), pre('t1'), ['FileChanged'], pre('t2', 'pwd'), post('t1')])
    const s = summaryOf(model)
    assert.equal(s.state, 'running tool')
    assert.equal(s.state_since, T0 + 1000)
    assert.equal(s.current_tool?.tool_use_id, 't2')
    assert.equal(s.current_tool?.input_summary, 'pwd')
    assert.equal(s.current_tool?.since, T0 + 3000)
  })

  test('the current tool is the latest started', () => {
    const s = summaryOf(run([prompt('p1'), pre('t1', 'a'), pre('t2', 'b')]))
    assert.equal(s.current_tool?.tool_use_id, 't2')
  })

  test('session fields from the events that carry them', () => {
    const model = run([
      [
        'SessionStart',
        {
          source: 'startup',
          model: 'claude-opus-5',
          cwd: '/home/me/proj',
          permission_mode: 'default',
          transcript_path: '/t.jsonl',
        },
      ],
      prompt('p1', 'fix the\nbug'),
      [
        'PreToolUse',
        { ...bash('ls'), tool_use_id: 't1', permission_mode: 'acceptEdits', cwd: '/home/me/proj' },
      ],
      ['CwdChanged', { cwd: '/home/me/proj', old_cwd: '/home/me/proj', new_cwd: '/home/me/other' }],
      [
        'PostModelSwitch',
        { from_model: 'claude-opus-5', to_model: 'claude-sonnet-5', source: 'auto' },
      ],
      [
        'PreToolUse',
        {
          ...bash('x'),
          tool_use_id: 't2',
          agent_id: 'ag',
          cwd: '/tmp/worktree',
          permission_mode: 'plan',
        },
      ],
    ])
    const s = summaryOf(model)
    assert.equal(s.source, 'startup')
    assert.equal(s.model, 'claude-sonnet-5')
    assert.equal(s.cwd, '/home/me/other')
    assert.equal(s.project, 'other')
    assert.equal(s.permission_mode, 'acceptEdits')
    assert.equal(s.transcript_path, '/t.jsonl')
    assert.equal(s.last_prompt, 'fix the\nbug')
    assert.equal(s.started, T0)
  })

  test('events without a session_id change nothing', () => {
    const model = new SessionModel()
    for (const event of [
      { _event: 'PreToolUse', tool_use_id: 't' },
      { _event: 'Stop', session_id: '' },
      { _event: 'Stop', session_id: 42 },
      { _event: 'Stop', session_id: null },
    ]) {
      assert.deepEqual(model.apply(event), { session_id: '', tool_calls: [] })
    }
    assert.equal(model.apply(null as unknown as HookEvent).session_id, '')
    assert.equal(model.size, 0)
  })

  test('never throws on odd fields', () => {
    const model = new SessionModel()
    const odd: HookEvent[] = [
      { session_id: 's', _event: 'PreToolUse', tool_use_id: {}, tool_name: 3, tool_input: 'x' },
      { session_id: 's', _event: 'PostToolUse', tool_use_id: 7, duration_ms: 'soon' },
      { session_id: 's', _event: 'PostToolBatch', tool_calls: 'nope' },
      {
        session_id: 's',
        _event: 'PostToolBatch',
        tool_calls: [null, 1, 'x', { tool_use_id: ['a'] }],
      },
      { session_id: 's', _event: 'PermissionRequest', tool_input: { a: { b: [1, { c: null }] } } },
      { session_id: 's', _event: 'SubagentStart', agent_id: { x: 1 } },
      { session_id: 's', _event: 7, hook_event_name: null, _ts: 'yesterday' },
      { session_id: 's', _event: 'UserPromptSubmit', prompt: ['x'], prompt_id: 1.5 },
      { session_id: 's', _event: 'Notification', notification_type: null, message: 42 },
      { session_id: 's', _event: 'SessionEnd', reason: { why: 'x' } },
    ]
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    odd.push({
      session_id: 's',
      _event: 'PreToolUse',
      tool_use_id: 'c',
      tool_name: 'X',
      tool_input: cyclic,
    })
    odd.push({ session_id: 's', _event: 'PermissionRequest', tool_name: 'X', tool_input: cyclic })
    for (const event of odd) model.apply(event)
    assert.equal(model.faults, 0)
    assert.equal(model.summary('s', T0)?.counts.events, odd.length)
    assert.ok(model.detail('s', T0) !== undefined)
  })

  test('the caller’s time wins over _ts', () => {
    const model = new SessionModel()
    model.apply(
      { _ts: ts(0), _event: 'PreToolUse', session_id: SID, tool_use_id: 't1', ...bash('ls') },
      T0 + 250,
    )
    model.apply(
      { _ts: ts(0), _event: 'PostToolUse', session_id: SID, tool_use_id: 't1', ...bash('ls') },
      T0 + 900,
    )
    const call = detailOf(model).tool_calls[0]!
    assert.equal(call.started, T0 + 250)
    assert.equal(call.duration_ms, 650)
    assert.equal(summaryOf(model).last_event_time, T0 + 900)
  })

  test('summaries: most recently active first', () => {
    const model = new SessionModel()
    model.apply({ _ts: ts(5), _event: 'Stop', session_id: 'b' })
    model.apply({ _ts: ts(9), _event: 'Stop', session_id: 'a' })
    model.apply({ _ts: ts(1), _event: 'Stop', session_id: 'c' })
    model.apply({ _event: 'Stop', session_id: 'd' })
    assert.deepEqual(
      model.summaries(T0).map((s) => s.session_id),
      ['a', 'b', 'c', 'd'],
    )
    assert.ok(model.has('a'))
    assert.equal(model.forget('a'), true)
    assert.equal(model.has('a'), false)
    assert.equal(model.size, 3)
  })
})

describe('tool calls', () => {
  test('paired by tool_use_id, with durations', () => {
    const model = run([
      prompt('p1'),
      pre('t1', 'npm test'),
      pre('t2', 'ls'),
      post('t2', 'ls'),
      post('t1', 'npm test', { duration_ms: 1234 }),
    ])
    const t1 = callOf(model, 't1')
    assert.equal(t1.outcome, 'ok')
    assert.equal(t1.started, T0 + 1000)
    assert.equal(t1.ended, T0 + 4000)
    assert.equal(t1.duration_ms, 1234)
    assert.equal(t1.prompt_id, 'p1')
    assert.equal(t1.input_summary, 'npm test')
    assert.equal(t1.session_id, SID)
    assert.equal(t1.agent_id, null)
    const t2 = callOf(model, 't2')
    assert.equal(t2.duration_ms, 1000)
    assert.equal(summaryOf(model).counts.tool_calls, 2)
  })

  test('a duration written as a string', () => {
    const model = run([pre('t1'), post('t1', 'ls', { duration_ms: '1500' })])
    assert.equal(callOf(model, 't1').duration_ms, 1500)
  })

  test('apply reports the calls it changed', () => {
    const model = new SessionModel()
    const e = (name: string, fields: Record<string, unknown>) =>
      model.apply({ _ts: ts(0), _event: name, session_id: SID, ...fields })
    assert.deepEqual(
      e('PreToolUse', { tool_use_id: 't1', ...bash('a') }).tool_calls.map((c) => [
        c.tool_use_id,
        c.outcome,
      ]),
      [['t1', 'running']],
    )
    assert.deepEqual(e('FileChanged', {}).tool_calls, [])
    const linked = e('PermissionRequest', bash('a'))
    assert.equal(linked.session_id, SID)
    assert.deepEqual(linked.tool_calls[0]?.permission, { requested: T0, resolved: null })
    const done = e('PostToolUse', { tool_use_id: 't1', ...bash('a') }).tool_calls
    assert.equal(done.length, 1)
    assert.equal(done[0]?.outcome, 'ok')
    assert.deepEqual(done[0]?.permission, { requested: T0, resolved: T0 })
  })

  test('a failure keeps its error', () => {
    const model = run([
      pre('t1', 'npm test'),
      [
        'PostToolUseFailure',
        {
          tool_use_id: 't1',
          ...bash('npm test'),
          error: 'Exit code 1\nboom',
          is_interrupt: false,
          duration_ms: 4187,
        },
      ],
      pre('t2', 'sleep 100'),
      [
        'PostToolUseFailure',
        { tool_use_id: 't2', ...bash('sleep 100'), error: 'aborted', is_interrupt: true },
      ],
    ])
    const t1 = callOf(model, 't1')
    assert.equal(t1.outcome, 'failed')
    assert.equal(t1.error, 'Exit code 1\nboom')
    assert.equal(t1.duration_ms, 4187)
    assert.equal(callOf(model, 't2').outcome, 'interrupted')
    assert.equal(summaryOf(model).counts.tool_failures, 1)
  })

  test('denied in -p mode: PreToolUse, PermissionRequest, PostToolBatch, Stop', () => {
    const model = run([
      prompt('p1'),
      pre('t1', 'rm -rf build'),
      ask('rm -rf build'),
      [
        'PostToolBatch',
        {
          tool_calls: [
            {
              tool_name: 'Bash',
              tool_input: { command: 'rm -rf build' },
              tool_use_id: 't1',
              tool_response:
                "Claude requested permissions to use Bash, but you haven't granted it yet.",
            },
          ],
        },
      ],
      ['Stop'],
    ])
    const t1 = callOf(model, 't1')
    assert.equal(t1.outcome, 'denied')
    assert.deepEqual(t1.permission, { requested: T0 + 2000, resolved: T0 + 3000 })
    const s = summaryOf(model)
    assert.equal(s.state, 'waiting for input')
    assert.equal(s.counts.pending_permissions, 0)
    assert.equal(s.counts.tool_failures, 0)
  })

  test('denied, Stop only: a call that waited for permission and never ran', () => {
    const model = run([prompt('p1'), pre('t1'), ask(), pre('t2', 'pwd'), ['Stop']])
    assert.equal(callOf(model, 't1').outcome, 'denied')
    assert.equal(callOf(model, 't2').outcome, 'interrupted')
    assert.equal(summaryOf(model).counts.pending_permissions, 0)
  })

  test('denied by auto mode: PermissionDenied', () => {
    const model = run([
      prompt('p1'),
      pre('t1'),
      [
        'PermissionDenied',
        { tool_use_id: 't1', ...bash('ls'), reason: '[Irreversible Local Destruction]' },
      ],
    ])
    assert.equal(callOf(model, 't1').outcome, 'denied')
    assert.equal(summaryOf(model).state, 'thinking')
  })

  test('a batch closes what it lists: refusals, errors, plain results', () => {
    const model = run([
      prompt('p1'),
      pre('a'),
      pre('b'),
      pre('c'),
      pre('d'),
      pre('e'),
      post('e'),
      [
        'PostToolBatch',
        {
          tool_calls: [
            {
              tool_use_id: 'a',
              tool_name: 'Bash',
              tool_response: 'This command requires approval',
            },
            {
              tool_use_id: 'b',
              tool_name: 'Bash',
              tool_response: 'Exit code 2\npermission denied',
              is_error: true,
            },
            {
              tool_use_id: 'c',
              tool_name: 'Bash',
              tool_response: [{ type: 'text', text: 'fine' }],
            },
            { tool_use_id: 'e', tool_name: 'Bash', tool_response: 'The user doesn’t care' },
            { tool_use_id: 'zz', tool_name: 'Bash', tool_response: 'never started' },
          ],
        },
      ],
    ])
    assert.equal(callOf(model, 'a').outcome, 'denied')
    assert.equal(callOf(model, 'b').outcome, 'failed')
    assert.equal(callOf(model, 'b').error, 'Exit code 2\npermission denied')
    assert.equal(callOf(model, 'c').outcome, 'ok')
    assert.equal(callOf(model, 'd').outcome, 'running')
    assert.equal(callOf(model, 'e').outcome, 'ok')
    const s = summaryOf(model)
    assert.equal(s.state, 'running tool')
    assert.equal(s.counts.tool_calls, 5)
  })

  test('a Post event arriving after the batch corrects its guess', () => {
    const model = run([
      pre('t1'),
      ['PostToolBatch', { tool_calls: [{ tool_use_id: 't1', tool_response: 'out' }] }],
      ['PostToolUseFailure', { tool_use_id: 't1', ...bash('ls'), error: 'boom', duration_ms: 5 }],
    ])
    const t1 = callOf(model, 't1')
    assert.equal(t1.outcome, 'failed')
    assert.equal(t1.duration_ms, 5)
    assert.equal(summaryOf(model).counts.tool_failures, 1)
  })

  test('interrupted: a new prompt, or Stop, with calls still open', () => {
    const model = run([prompt('p1'), pre('t1'), prompt('p2'), pre('t2'), ['Stop']])
    assert.equal(callOf(model, 't1').outcome, 'interrupted')
    assert.equal(callOf(model, 't1').ended, T0 + 2000)
    assert.equal(callOf(model, 't2').outcome, 'interrupted')
    const turns = detailOf(model).turns
    assert.deepEqual(
      turns.map((t) => [t.prompt_id, t.outcome]),
      [
        ['p1', 'interrupted'],
        ['p2', 'done'],
      ],
    )
  })

  test('SessionEnd interrupts everything, denies what waited for permission', () => {
    const model = run([
      prompt('p1'),
      pre('t1'),
      pre('t2', 'x'),
      ask('x'),
      ['SessionEnd', { reason: 'other' }],
    ])
    assert.equal(callOf(model, 't1').outcome, 'interrupted')
    assert.equal(callOf(model, 't2').outcome, 'denied')
    assert.equal(detailOf(model).turns[0]?.outcome, 'interrupted')
    const s = summaryOf(model)
    assert.equal(s.counts.pending_permissions, 0)
    assert.equal(s.current_tool, null)
  })

  test('a PermissionRequest links to the call with the same tool and input', () => {
    const model = run([
      prompt('p1'),
      pre('t1', 'a'),
      pre('t2', 'b'),
      pre('t3', 'a'),
      ['PreToolUse', { tool_use_id: 'r1', tool_name: 'Read', tool_input: { file_path: '/x' } }],
      ask('b'),
      ask('a'),
      ask('a'),
      ask('zzz'),
    ])
    assert.equal(callOf(model, 't2').permission?.requested, T0 + 5000)
    assert.equal(callOf(model, 't1').permission?.requested, T0 + 6000)
    assert.equal(callOf(model, 't3').permission?.requested, T0 + 7000)
    assert.equal(callOf(model, 'r1').permission, null)
    assert.equal(summaryOf(model).counts.pending_permissions, 4)
  })

  test('a PermissionRequest without an equal input links to the latest call of that tool', () => {
    const model = run([prompt('p1'), pre('t1', 'a'), pre('t2', 'b'), ask('changed by a hook')])
    assert.equal(callOf(model, 't1').permission, null)
    assert.notEqual(callOf(model, 't2').permission, null)
  })

  test('an unlinked permission is answered by the next Post of that tool', () => {
    const model = run([prompt('p1'), ask('ls'), ['FileChanged'], post('t9', 'ls')])
    const s = summaryOf(model)
    assert.equal(s.counts.pending_permissions, 0)
    assert.equal(s.state, 'thinking')
    assert.deepEqual(callOf(model, 't9').permission, { requested: T0 + 1000, resolved: T0 + 3000 })
  })

  test('calls without a tool_use_id pair by tool and agent', () => {
    const model = run([
      ['PreToolUse', bash('a')],
      ['PreToolUse', { tool_name: 'Read', tool_input: { file_path: '/f' } }],
      ['PostToolUse', bash('a')],
    ])
    const calls = detailOf(model).tool_calls
    assert.deepEqual(
      calls.map((c) => [c.tool_name, c.outcome]),
      [
        ['Bash', 'ok'],
        ['Read', 'running'],
      ],
    )
    assert.equal(summaryOf(model).counts.tool_calls, 2)
  })
})

describe('subagents', () => {
  test('a subagent tree, nested under the calls that started them', () => {
    const model = run([
      prompt('p1'),
      [
        'PreToolUse',
        {
          tool_use_id: 'a1',
          tool_name: 'Agent',
          tool_input: { description: 'look around', subagent_type: 'Explore' },
        },
      ],
      ['SubagentStart', { agent_id: 'ag1', agent_type: 'Explore' }],
      [
        'PreToolUse',
        {
          tool_use_id: 'r1',
          tool_name: 'Read',
          tool_input: { file_path: '/a' },
          agent_id: 'ag1',
          agent_type: 'Explore',
        },
      ],
      ['PostToolUse', { tool_use_id: 'r1', tool_name: 'Read', agent_id: 'ag1' }],
      [
        'PreToolUse',
        {
          tool_use_id: 'k1',
          tool_name: 'Task',
          tool_input: { subagent_type: 'Plan' },
          agent_id: 'ag1',
        },
      ],
      ['SubagentStart', { agent_id: 'ag2', agent_type: 'Plan' }],
      [
        'PreToolUse',
        { tool_use_id: 'g1', tool_name: 'Grep', tool_input: { pattern: 'x' }, agent_id: 'ag2' },
      ],
      ['SubagentStop', { agent_id: 'ag2', agent_type: 'Plan' }],
      ['PostToolUse', { tool_use_id: 'k1', tool_name: 'Task', agent_id: 'ag1' }],
      ['SubagentStop', { agent_id: 'ag1', agent_type: 'Explore' }],
      ['PostToolUse', { tool_use_id: 'a1', tool_name: 'Agent' }],
    ])
    const d = detailOf(model)
    assert.deepEqual(
      d.subagents.map((s) => [
        s.agent_id,
        s.agent_type,
        s.parent_tool_use_id,
        s.parent_agent_id,
        s.state,
        s.tool_calls,
      ]),
      [
        ['ag1', 'Explore', 'a1', null, 'done', 2],
        ['ag2', 'Plan', 'k1', 'ag1', 'done', 1],
      ],
    )
    assert.equal(d.subagents[0]?.started, T0 + 2000)
    assert.equal(d.subagents[0]?.ended, T0 + 10000)
    assert.equal(callOf(model, 'r1').agent_id, 'ag1')
    assert.equal(callOf(model, 'r1').prompt_id, 'p1')
    assert.equal(callOf(model, 'g1').outcome, 'interrupted') // its subagent stopped without a Post event
    assert.equal(d.counts.subagents, 2)
    assert.equal(d.counts.tool_calls, 4)
    assert.equal(d.turns[0]?.outcome, 'running')
    assert.deepEqual(d.turns[0]?.tool_calls, ['a1', 'r1', 'k1', 'g1'])
    assert.equal(d.state, 'thinking')
  })

  test('parallel Agent calls: each subagent under its own call', () => {
    const agent = (id: string, type: string): Step => [
      'PreToolUse',
      { tool_use_id: id, tool_name: 'Agent', tool_input: { subagent_type: type } },
    ]
    const model = run([
      prompt('p1'),
      agent('a1', 'Explore'),
      agent('a2', 'Plan'),
      agent('a3', 'Explore'),
      ['SubagentStart', { agent_id: 'x', agent_type: 'Plan' }],
      ['SubagentStart', { agent_id: 'y', agent_type: 'Explore' }],
      ['SubagentStart', { agent_id: 'z', agent_type: 'Explore' }],
      ['SubagentStart', { agent_id: 'w', agent_type: 'Explore' }],
      ['SubagentStart', { agent_id: 'x', agent_type: 'Plan' }], // resumed: not a new subagent
    ])
    const d = detailOf(model)
    assert.deepEqual(
      d.subagents.map((s) => [s.agent_id, s.parent_tool_use_id]),
      [
        ['x', 'a2'],
        ['y', 'a1'],
        ['z', 'a3'],
        ['w', null],
      ],
    )
    assert.equal(d.counts.subagents, 4)
  })

  test('a background subagent keeps its calls open past the main Stop', () => {
    const model = run([
      prompt('p1'),
      [
        'PreToolUse',
        { tool_use_id: 'a1', tool_name: 'Agent', tool_input: { run_in_background: true } },
      ],
      ['SubagentStart', { agent_id: 'bg', agent_type: 'general-purpose' }],
      ['PostToolUse', { tool_use_id: 'a1', tool_name: 'Agent' }],
      ['PreToolUse', { tool_use_id: 'b1', ...bash('make'), agent_id: 'bg' }],
      ['PermissionRequest', { ...bash('make'), agent_id: 'bg' }],
      ['Stop'],
    ])
    assert.equal(callOf(model, 'b1').outcome, 'running')
    let s = summaryOf(model)
    assert.equal(s.state, 'waiting for permission')
    assert.equal(s.counts.pending_permissions, 1)
    model.apply({ _ts: ts(7), _event: 'SubagentStop', session_id: SID, agent_id: 'bg' })
    s = summaryOf(model)
    assert.equal(callOf(model, 'b1').outcome, 'denied')
    assert.equal(s.state, 'waiting for input')
    assert.equal(s.counts.pending_permissions, 0)
  })
})

describe('turns', () => {
  test('one turn per prompt_id, with its calls and prompt', () => {
    const model = run([
      ['UserPromptExpansion', { prompt_id: 'p1', prompt: '/review src', command_name: 'review' }],
      [
        'UserPromptSubmit',
        { prompt_id: 'p1', prompt: 'Review the code in src with the checklist…' },
      ],
      pre('t1'),
      post('t1'),
      ['Stop', { prompt_id: 'p1' }],
      prompt('p2', 'x'.repeat(3000)),
      pre('t2'),
      ['StopFailure', { error: 'overloaded', prompt_id: 'p2' }],
    ])
    const d = detailOf(model)
    assert.equal(d.counts.turns, 2)
    const [p1, p2] = d.turns
    assert.deepEqual(
      { ...p1, tool_calls: [...(p1?.tool_calls ?? [])] },
      {
        prompt_id: 'p1',
        prompt: '/review src',
        started: T0,
        ended: T0 + 4000,
        duration_ms: 4000,
        outcome: 'done',
        tool_calls: ['t1'],
      },
    )
    assert.equal(p2?.outcome, 'failed')
    assert.equal(p2?.prompt.length, 2000)
    assert.deepEqual(p2?.tool_calls, ['t2'])
    assert.equal(callOf(model, 't2').outcome, 'interrupted')
    assert.equal(d.last_prompt?.length, 200)
  })

  test('prompts without ids: a Submit right after an Expansion is the same turn', () => {
    const model = run([
      ['UserPromptExpansion', { prompt: '/a' }],
      ['UserPromptSubmit', { prompt: 'expanded a' }],
      ['Stop'],
      ['UserPromptSubmit', { prompt: 'b' }],
    ])
    const d = detailOf(model)
    assert.deepEqual(
      d.turns.map((t) => [t.prompt, t.outcome]),
      [
        ['/a', 'done'],
        ['b', 'running'],
      ],
    )
    assert.equal(d.counts.turns, 2)
  })

  test('a Stop hook that makes Claude go on reopens the turn', () => {
    const model = run([
      prompt('p1'),
      ['Stop', { prompt_id: 'p1' }],
      pre('t1', 'ls', { prompt_id: 'p1' }),
    ])
    const d = detailOf(model)
    assert.equal(d.turns[0]?.outcome, 'running')
    assert.equal(d.state, 'running tool')
  })
})

describe('stale', () => {
  test('derived at read time from now', () => {
    const model = run([prompt('p1'), pre('t1')])
    const last = T0 + 1000
    assert.equal(summaryOf(model, last + 5 * 60_000).state, 'running tool')
    assert.equal(summaryOf(model, last + 10 * 60_000).state, 'running tool')
    const stale = summaryOf(model, last + 10 * 60_000 + 1)
    assert.equal(stale.state, 'stale')
    assert.equal(stale.state_since, last + 10 * 60_000)
    assert.equal(model.detail(SID, last + 3_600_000)?.state, 'stale')
    assert.equal(model.summaries(last + 3_600_000)[0]?.state, 'stale')
  })

  test('a custom threshold, and the states that go stale', () => {
    const cases: [Step[], SessionState][] = [
      [[['SessionStart']], 'stale'],
      [[prompt('p1')], 'stale'],
      [[prompt('p1'), ['PreCompact']], 'stale'],
      [[prompt('p1'), ['Stop']], 'waiting for input'],
      [[prompt('p1'), pre('t1'), ask()], 'waiting for permission'],
      [[prompt('p1'), ['StopFailure']], 'idle'],
      [[['SessionEnd']], 'ended'],
    ]
    for (const [steps, state] of cases) {
      const model = run(steps, { staleAfterMs: 1000 })
      assert.equal(summaryOf(model, T0 + 60_000).state, state, JSON.stringify(steps))
    }
  })
})

describe('load', () => {
  test('a stored summary, then events continue from it', () => {
    const before = run([
      ['SessionStart', { source: 'startup', model: 'm', cwd: '/p/app' }],
      prompt('p1'),
      pre('t1', 'rm -rf x'),
      ask('rm -rf x'),
    ])
    const stored = summaryOf(before)
    assert.equal(stored.state, 'waiting for permission')
    const after = new SessionModel()
    after.load(JSON.parse(JSON.stringify(stored)))
    assert.deepEqual(after.summary(SID, T0), stored)
    assert.ok(after.has(SID))

    after.apply({
      _ts: ts(10),
      _event: 'PostToolUse',
      session_id: SID,
      tool_use_id: 't1',
      ...bash('rm -rf x'),
    })
    const s = after.summary(SID, T0 + 10_000)
    assert.equal(s?.state, 'thinking')
    assert.equal(s?.counts.events, 5)
    assert.equal(s?.counts.tool_calls, 1)
    assert.equal(s?.counts.pending_permissions, 0)
    assert.equal(s?.counts.turns, 1)
    assert.deepEqual(after.detail(SID, T0)?.tool_calls[0]?.permission, {
      requested: T0 + 3000,
      resolved: T0 + 10_000,
    })

    after.apply({ _ts: ts(11), _event: 'Stop', session_id: SID })
    after.apply({ _ts: ts(12), _event: 'UserPromptSubmit', session_id: SID, prompt_id: 'p2' })
    assert.equal(after.summary(SID, T0)?.counts.turns, 2)
    assert.equal(after.faults, 0)
  })

  test('stored stale, ended and waiting summaries', () => {
    const base = summaryOf(run([prompt('p1'), pre('t1')]), T0 + 3_600_000)
    assert.equal(base.state, 'stale')
    const model = new SessionModel()
    model.load(base)
    assert.equal(model.summary(SID, T0 + 3_600_000)?.state, 'stale')
    assert.equal(model.summary(SID, T0 + 1000)?.state, 'running tool')

    const ended = summaryOf(run([prompt('p1'), ['SessionEnd', { reason: 'logout' }]]))
    model.load(ended)
    assert.equal(model.summary(SID, T0)?.state_reason, 'logout')
    model.apply({ _ts: ts(5), _event: 'SessionStart', session_id: SID, source: 'resume' })
    assert.equal(model.summary(SID, T0)?.state, 'starting')

    const idle = summaryOf(
      run([prompt('p1'), ['Stop'], ['Notification', { notification_type: 'idle_prompt' }]]),
    )
    model.load(idle)
    assert.deepEqual(model.summary(SID, T0), idle)

    model.load({ session_id: 'broken' } as unknown as SessionSummary)
    assert.equal(model.summary('broken', T0)?.counts.events, 0)
    model.load(null as unknown as SessionSummary)
    assert.equal(model.faults, 1)
  })
})

describe('bounded memory', () => {
  test('at most maxTurns turns and maxToolCalls calls; counts stay exact', () => {
    const steps: Step[] = []
    for (let i = 0; i < 10; i++) {
      steps.push(prompt(`p${i}`), pre(`a${i}`), post(`a${i}`), pre(`b${i}`), post(`b${i}`), [
        'Stop',
      ])
    }
    const model = run(steps, { maxTurns: 3, maxToolCalls: 5 })
    const d = detailOf(model)
    assert.deepEqual(
      d.turns.map((t) => t.prompt_id),
      ['p7', 'p8', 'p9'],
    )
    assert.deepEqual(
      d.tool_calls.map((c) => c.tool_use_id),
      ['b7', 'a8', 'b8', 'a9', 'b9'],
    )
    assert.equal(d.counts.turns, 10)
    assert.equal(d.counts.tool_calls, 20)
    assert.equal(d.counts.events, 60)
  })

  test('running calls are never dropped', () => {
    const steps: Step[] = [prompt('p1')]
    for (let i = 0; i < 8; i++) steps.push(pre(`r${i}`))
    steps.push(post('r7'))
    for (let i = 0; i < 4; i++) steps.push(pre(`d${i}`), post(`d${i}`))
    const model = run(steps, { maxToolCalls: 5 })
    const ids = detailOf(model).tool_calls.map((c) => c.tool_use_id)
    for (let i = 0; i < 7; i++) assert.ok(ids.includes(`r${i}`), `r${i}`)
    assert.equal(ids.length, 7)
    assert.equal(summaryOf(model).counts.tool_calls, 12)
  })

  test('past maxOpen running calls the oldest is closed as interrupted (denied if it awaited permission)', () => {
    const steps: Step[] = [prompt('p1'), pre('r0', 'rm -rf x'), ask('rm -rf x')]
    for (let i = 1; i < 6; i++) steps.push(pre(`r${i}`))
    const model = run(steps, { maxOpen: 3 })
    const outcomes = detailOf(model).tool_calls.map((c) => [c.tool_use_id, c.outcome])
    assert.deepEqual(outcomes, [
      ['r0', 'denied'],
      ['r1', 'interrupted'],
      ['r2', 'interrupted'],
      ['r3', 'running'],
      ['r4', 'running'],
      ['r5', 'running'],
    ])
    const summary = summaryOf(model)
    assert.equal(summary.state, 'running tool')
    assert.equal(summary.counts.pending_permissions, 0)
    assert.equal(summary.counts.tool_calls, 6)
    // The running calls left still end normally.
    const after = run([...steps, post('r4')], { maxOpen: 3 })
    assert.equal(callOf(after, 'r4').outcome, 'ok')
  })

  test('past maxOpen pending permissions the oldest is resolved', () => {
    const steps: Step[] = [prompt('p1')]
    for (let i = 0; i < 5; i++) steps.push(ask(`cmd ${i}`))
    const summary = summaryOf(run(steps, { maxOpen: 2 }))
    assert.equal(summary.counts.pending_permissions, 2)
    assert.equal(summary.state, 'waiting for permission')
  })

  test('unfinished subagents beyond the limit go, oldest first, the newest maxOpen stay', () => {
    const steps: Step[] = [prompt('p1')]
    for (let i = 0; i < 12; i++) steps.push(['SubagentStart', { agent_id: `ag${i}` }])
    const detail = detailOf(run(steps, { maxToolCalls: 5, maxOpen: 2 }))
    assert.deepEqual(
      detail.subagents.map((a) => a.agent_id),
      ['ag7', 'ag8', 'ag9', 'ag10', 'ag11'],
    )
    assert.equal(detail.counts.subagents, 12)
  })

  test('a long stream of calls whose Post never comes stays within the limits', () => {
    // 20,000 PreToolUse events in one session: before the limits, every event scanned every open call (the
    // server slowed to ~140 events/s); now every structure stays bounded.
    const model = new SessionModel()
    for (let i = 0; i < 20_000; i++) {
      model.apply(
        { _event: 'PreToolUse', session_id: SID, tool_use_id: `t${i}`, ...bash('ls') },
        T0 + i,
      )
      if (i % 7 === 0)
        model.apply({ _event: 'PermissionRequest', session_id: SID, tool_name: 'Write' }, T0 + i)
    }
    assert.equal(model.faults, 0)
    const detail = detailOf(model)
    // cut back to 5,000 once past 5,000 + an eighth
    assert.ok(detail.tool_calls.length >= 5000 && detail.tool_calls.length <= 5625)
    assert.equal(detail.tool_calls.filter((c) => c.outcome === 'running').length, 256)
    assert.equal(detail.counts.pending_permissions, 256)
    assert.equal(detail.counts.tool_calls, 20_000)
    assert.equal(detail.tool_calls.at(-1)?.tool_use_id, 't19999')
  })

  test('a turn lists at most maxToolCalls calls', () => {
    const steps: Step[] = [prompt('p1')]
    for (let i = 0; i < 25; i++) steps.push(pre(`c${i}`), post(`c${i}`))
    const turn = detailOf(run(steps, { maxToolCalls: 4 })).turns[0]
    assert.deepEqual(turn?.tool_calls, ['c21', 'c22', 'c23', 'c24'])
  })
})

describe('fields', () => {
  test('hookEventFromJson converts only what the model reads', () => {
    const line =
      '{"_ts":"2026-02-09T10:00:00+00:00","_event":"PostToolUse","_client":"127.0.0.1","session_id":"s",' +
      '"tool_name":"Bash","tool_input":{"command":"ls","timeout":120000,"nested":[1,{"a":2.50}]},' +
      '"tool_response":{"stdout":"huge"},"tool_use_id":"t1","duration_ms":12,"is_interrupt":false}'
    const value = parseJson(line)
    assert.ok(value instanceof Map)
    const event = hookEventFromJson(value)
    assert.deepEqual(event, {
      _ts: '2026-02-09T10:00:00+00:00',
      _event: 'PostToolUse',
      session_id: 's',
      tool_name: 'Bash',
      tool_input: { command: 'ls', timeout: 120000, nested: [1, { a: 2.5 }] },
      tool_use_id: 't1',
      duration_ms: 12,
      is_interrupt: false,
    })
    for (const key of Object.keys(event)) assert.ok(SESSION_KEYS.includes(key), key)
  })

  test('batch entries keep their ids, error flags and the start of the response', () => {
    const long = 'y'.repeat(10_000)
    const line = JSON.stringify({
      _event: 'PostToolBatch',
      session_id: 's',
      tool_calls: [
        {
          tool_name: 'Read',
          tool_input: { file_path: '/a' },
          tool_use_id: 't1',
          tool_response: long,
        },
        {
          tool_name: 'Bash',
          tool_use_id: 't2',
          tool_response: [{ type: 'text', text: 'requires approval' }],
          is_error: true,
        },
      ],
    })
    const value = parseJson(line)
    assert.ok(value instanceof Map)
    const event = hookEventFromJson(value)
    assert.deepEqual(event.tool_calls, [
      {
        tool_use_id: 't1',
        tool_name: 'Read',
        tool_input: { file_path: '/a' },
        tool_response: 'y'.repeat(500),
      },
      { tool_use_id: 't2', tool_name: 'Bash', is_error: true, tool_response: 'requires approval' },
    ])
  })

  test('the model reads converted events like parsed ones', () => {
    const lines = [
      { _ts: ts(0), _event: 'UserPromptSubmit', session_id: SID, prompt_id: 'p1', prompt: 'go' },
      { _ts: ts(1), _event: 'PreToolUse', session_id: SID, tool_use_id: 't1', ...bash('rm x') },
      { _ts: ts(2), _event: 'PermissionRequest', session_id: SID, ...bash('rm x') },
      {
        _ts: ts(3),
        _event: 'PostToolBatch',
        session_id: SID,
        tool_calls: [{ tool_use_id: 't1', tool_response: 'nope' }],
      },
      { _ts: ts(4), _event: 'Stop', session_id: SID },
    ].map((e) => JSON.stringify(e))
    const plain = new SessionModel()
    const converted = new SessionModel()
    for (const line of lines) {
      plain.apply(JSON.parse(line))
      const value = parseJson(line)
      assert.ok(value instanceof Map)
      converted.apply(hookEventFromJson(value))
    }
    assert.deepEqual(converted.detail(SID, T0), plain.detail(SID, T0))
    assert.equal(plain.detail(SID, T0)?.tool_calls[0]?.outcome, 'denied')
  })
})

describe('summaries of inputs', () => {
  test('per tool', () => {
    assert.equal(
      inputSummary('Bash', { command: 'cd src &&\nnpm test', description: 'x' }),
      'cd src &&⏎npm test',
    )
    assert.equal(inputSummary('Read', { file_path: '/a/b.ts' }), '/a/b.ts')
    assert.equal(
      inputSummary('Write', { file_path: '/a/c.ts', content: 'x'.repeat(1e6) }),
      '/a/c.ts',
    )
    assert.equal(inputSummary('Edit', { file_path: '/a/d.ts', old_string: 'a' }), '/a/d.ts')
    assert.equal(inputSummary('Grep', { pattern: 'TODO', path: 'src' }), 'TODO')
    assert.equal(inputSummary('Glob', { pattern: '**/*.ts' }), '**/*.ts')
    assert.equal(inputSummary('WebFetch', { url: 'https://x.dev', prompt: 'p' }), 'https://x.dev')
    assert.equal(
      inputSummary('Task', { description: 'Find bugs', subagent_type: 'Explore' }),
      'Find bugs',
    )
    assert.equal(inputSummary('Agent', { subagent_type: 'Plan', prompt: 'p' }), 'Plan')
    assert.equal(
      inputSummary('mcp__db__query', { sql: 'select 1', limit: 5 }),
      '{"sql":"select 1","limit":5}',
    )
    assert.equal(inputSummary('Bash', { cmd: 'no command field' }), '{"cmd":"no command field"}')
    assert.equal(inputSummary('X', undefined), '')
    assert.equal(inputSummary(42, 'text'), '"text"')
  })

  test('one line, at most 200 characters', () => {
    const long = inputSummary('Bash', { command: `echo ${'é'.repeat(500)}` })
    assert.equal(Array.from(long).length, 200)
    assert.ok(long.endsWith('…'))
    const huge = inputSummary('mcp__x', {
      rows: Array.from({ length: 100_000 }, (_, i) => ({ i })),
    })
    assert.equal(Array.from(huge).length, 200)
    assert.ok(!/[\n\r\t]/.test(inputSummary('Bash', { command: 'a\tb\r\nc\rd' })))
    assert.equal(inputSummary('Bash', { command: 'a\tb\r\nc' }), 'a b⏎c')
  })

  test('project: the last component of cwd', () => {
    assert.equal(project('/home/me/src/app'), 'app')
    assert.equal(project('/home/me/src/app/'), 'app')
    assert.equal(project('C:\\Users\\me\\proj'), 'proj')
    assert.equal(project('/'), '/')
    assert.equal(project(''), null)
    assert.equal(project(null), null)
  })
})
