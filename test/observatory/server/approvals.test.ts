/**
 * The approvals registry on its own (src/observatory/server/approvals.ts): waiting, a person's decision, the
 * timeout, the client going away, shutdown, "allow for this session", finality and the races between them, with
 * timeouts of a few milliseconds. And the decisions engine (decisions.ts) around it, with a fake policy and audit.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AuditRecord, Decision, PolicyLike } from '../../../src/observatory/policy/types.ts'
import {
  type Approval,
  type ApprovalEventType,
  type ApprovalRequest,
  Approvals,
  KEEP_FINISHED,
} from '../../../src/observatory/server/approvals.ts'
import { Decisions, NO_DECISION } from '../../../src/observatory/server/decisions.ts'
import { cookieMayWrite, sameOriginRequest } from '../../../src/observatory/server/guard.ts'
import type { HookEvent } from '../../../src/observatory/sessions/types.ts'

function ask(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    session_id: 's1',
    cwd: '/work/project',
    tool_name: 'Bash',
    tool_input: { command: 'npm test' },
    permission_mode: 'default',
    agent_id: null,
    ...overrides,
  }
}

/** The registry with its changes recorded. */
function registry(timeoutMs: number): {
  approvals: Approvals
  seen: { type: ApprovalEventType; approval: Approval }[]
} {
  const approvals = new Approvals({ timeoutMs })
  const seen: { type: ApprovalEventType; approval: Approval }[] = []
  approvals.subscribe((type, approval) => seen.push({ type, approval }))
  return { approvals, seen }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('Approvals', () => {
  test('a request waits, is listed oldest first, and a person allows it', async () => {
    const { approvals, seen } = registry(10_000)
    const first = approvals.request(ask())
    const second = approvals.request(ask({ tool_name: 'Write', tool_input: { file_path: '/x' } }))
    assert.equal(first.approval.state, 'pending')
    assert.equal(first.approval.input_summary, 'npm test')
    assert.equal(first.approval.deadline - first.approval.created, 10_000)
    assert.deepEqual(
      approvals.pending().map((a) => a.id),
      [first.approval.id, second.approval.id],
    )
    const decided = approvals.decide(first.approval.id, 'allow')
    assert.equal(decided.status, 'ok')
    assert.ok(decided.status === 'ok')
    assert.equal(decided.approval.state, 'allowed')
    assert.equal(decided.approval.decided_by, 'person')
    assert.equal(decided.approval.choice, 'allow')
    assert.deepEqual(await first.outcome, {
      kind: 'allow',
      by: 'person',
      choice: 'allow',
      message: null,
    })
    assert.deepEqual(
      approvals.pending().map((a) => a.id),
      [second.approval.id],
    )
    assert.deepEqual(
      seen.map((s) => [s.type, s.approval.tool_name, s.approval.state]),
      [
        ['pending', 'Bash', 'pending'],
        ['pending', 'Write', 'pending'],
        ['resolved', 'Bash', 'allowed'],
      ],
    )
    approvals.close()
    assert.deepEqual(await second.outcome, { kind: 'withdrawn', by: 'shutdown' })
  })

  test('deny carries the message; a second decision is final (409), an unknown id is unknown (404)', async () => {
    const { approvals } = registry(10_000)
    const pending = approvals.request(ask())
    const id = pending.approval.id
    assert.equal(approvals.decide(id, 'deny', 'not on a Friday').status, 'ok')
    assert.deepEqual(await pending.outcome, {
      kind: 'deny',
      by: 'person',
      choice: 'deny',
      message: 'not on a Friday',
    })
    const again = approvals.decide(id, 'allow')
    assert.equal(again.status, 'final')
    assert.ok(again.status === 'final')
    assert.equal(again.approval.state, 'denied')
    assert.equal(again.approval.message, 'not on a Friday')
    assert.equal(approvals.decide('no-such-id', 'allow').status, 'unknown')
    assert.equal(approvals.get(id)?.state, 'denied')
  })

  test('the timeout: expired, told once, and a late decision is final', async () => {
    const { approvals, seen } = registry(30)
    const pending = approvals.request(ask())
    const started = Date.now()
    assert.deepEqual(await pending.outcome, { kind: 'expired' })
    assert.ok(Date.now() - started >= 25, 'waited about the timeout')
    assert.equal(approvals.size, 0)
    assert.equal(approvals.decide(pending.approval.id, 'allow').status, 'final')
    assert.deepEqual(
      seen.map((s) => s.type),
      ['pending', 'expired'],
    )
    assert.equal(seen[1]!.approval.decided_by, 'timeout')
  })

  test('the client goes away: withdrawn at once; a decision after it is final', async () => {
    const { approvals, seen } = registry(10_000)
    const gone = new AbortController()
    const pending = approvals.request(ask(), gone.signal)
    gone.abort(new Error('client closed the connection'))
    assert.deepEqual(await pending.outcome, { kind: 'withdrawn', by: 'withdrawn' })
    assert.equal(approvals.decide(pending.approval.id, 'allow').status, 'final')
    assert.deepEqual(
      seen.map((s) => [s.type, s.approval.state, s.approval.decided_by]),
      [
        ['pending', 'pending', null],
        ['withdrawn', 'withdrawn', 'withdrawn'],
      ],
    )
    // Already aborted when asked: never shown.
    const late = approvals.request(ask(), gone.signal)
    assert.deepEqual(await late.outcome, { kind: 'withdrawn', by: 'withdrawn' })
    assert.equal(seen.length, 2)
  })

  test('races: decision and timeout due in the same timer phase — the first wins, the other is refused', async () => {
    // Timers of the same delay run in the order they were set, in one pass of the timers phase.
    for (const order of ['decision first', 'timeout first'] as const) {
      const { approvals, seen } = registry(20)
      let result: string | undefined
      let id = ''
      const decide = () => {
        result = approvals.decide(id, 'allow').status
      }
      if (order === 'decision first') setTimeout(decide, 20)
      const pending = approvals.request(ask())
      id = pending.approval.id
      if (order === 'timeout first') setTimeout(decide, 20)
      const outcome = await pending.outcome
      await sleep(30)
      if (order === 'decision first') {
        assert.equal(result, 'ok')
        assert.equal(outcome.kind, 'allow')
        assert.deepEqual(
          seen.map((s) => s.type),
          ['pending', 'resolved'],
        )
      } else {
        assert.equal(result, 'final')
        assert.deepEqual(outcome, { kind: 'expired' })
        assert.deepEqual(
          seen.map((s) => s.type),
          ['pending', 'expired'],
        )
      }
    }
  })

  test('races: abort after the decision changes nothing; decision after abort is refused', async () => {
    const { approvals, seen } = registry(10_000)
    const client = new AbortController()
    const pending = approvals.request(ask(), client.signal)
    approvals.decide(pending.approval.id, 'deny')
    client.abort()
    assert.equal((await pending.outcome).kind, 'deny')
    assert.deepEqual(
      seen.map((s) => s.type),
      ['pending', 'resolved'],
    )
  })

  test('many concurrent decisions on one approval: exactly one wins', async () => {
    const { approvals } = registry(10_000)
    const pending = approvals.request(ask())
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Promise.resolve().then(() =>
          approvals.decide(pending.approval.id, i % 2 === 0 ? 'allow' : 'deny'),
        ),
      ),
    )
    assert.equal(results.filter((r) => r.status === 'ok').length, 1)
    assert.equal(results.filter((r) => r.status === 'final').length, 19)
    assert.equal((await pending.outcome).kind, 'allow')
  })

  test('allow for this session: the same session and tool now, and later, at once; not others', async () => {
    const { approvals, seen } = registry(10_000)
    const clicked = approvals.request(ask())
    const sameWaiting = approvals.request(ask({ tool_input: { command: 'npm run build' } }))
    const otherTool = approvals.request(ask({ tool_name: 'Write' }))
    const otherSession = approvals.request(ask({ session_id: 's2' }))
    assert.equal(approvals.granted('s1', 'Bash'), false)
    approvals.decide(clicked.approval.id, 'allow-session')
    assert.deepEqual(await clicked.outcome, {
      kind: 'allow',
      by: 'person',
      choice: 'allow-session',
      message: null,
    })
    assert.deepEqual(await sameWaiting.outcome, {
      kind: 'allow',
      by: 'person (session)',
      choice: 'allow-session',
      message: null,
    })
    assert.equal(approvals.granted('s1', 'Bash'), true)
    assert.equal(approvals.granted('s1', 'Write'), false)
    assert.equal(approvals.granted('s2', 'Bash'), false)
    assert.deepEqual(
      approvals
        .pending()
        .map((a) => [a.session_id, a.tool_name])
        .sort(),
      [
        ['s1', 'Write'],
        ['s2', 'Bash'],
      ],
    )
    assert.deepEqual(
      seen.filter((s) => s.type === 'resolved').map((s) => s.approval.decided_by),
      ['person', 'person (session)'],
    )
    approvals.forgetSession('s1')
    assert.equal(approvals.granted('s1', 'Bash'), false)
    approvals.close()
    assert.equal((await otherTool.outcome).kind, 'withdrawn')
    assert.equal((await otherSession.outcome).kind, 'withdrawn')
  })

  test('allow for this session without a session id is a plain allow (nothing remembered)', async () => {
    const { approvals } = registry(10_000)
    const pending = approvals.request(ask({ session_id: null }))
    approvals.decide(pending.approval.id, 'allow-session')
    assert.equal((await pending.outcome).kind, 'allow')
    assert.equal(approvals.granted(null, 'Bash'), false)
  })

  test('after close, new requests are withdrawn at once', async () => {
    const { approvals, seen } = registry(10_000)
    approvals.close()
    const pending = approvals.request(ask())
    assert.deepEqual(await pending.outcome, { kind: 'withdrawn', by: 'shutdown' })
    assert.deepEqual(seen, [])
  })

  test('finished approvals are remembered for the 409, up to a bound', async () => {
    const { approvals } = registry(10_000)
    const first = approvals.request(ask())
    approvals.decide(first.approval.id, 'allow')
    for (let i = 0; i < KEEP_FINISHED; i++) {
      const p = approvals.request(ask())
      approvals.decide(p.approval.id, 'deny')
    }
    assert.equal(approvals.decide(first.approval.id, 'deny').status, 'unknown')
  })

  test('a listener that throws does not stop the others or the registry', async () => {
    const approvals = new Approvals({ timeoutMs: 10_000 })
    const seen: string[] = []
    approvals.subscribe(() => {
      throw new Error('boom')
    })
    approvals.subscribe((type) => seen.push(type))
    const pending = approvals.request(ask())
    approvals.decide(pending.approval.id, 'allow')
    assert.equal((await pending.outcome).kind, 'allow')
    assert.deepEqual(seen, ['pending', 'resolved'])
  })

  test('the listed and told approvals are copies', () => {
    const { approvals, seen } = registry(10_000)
    const pending = approvals.request(ask())
    const listed = approvals.pending()[0]!
    listed.state = 'allowed'
    seen[0]!.approval.state = 'denied'
    assert.equal(approvals.get(pending.approval.id)?.state, 'pending')
    approvals.close()
  })
})

// ---- the decisions engine ---------------------------------------------------------------------------

function fakePolicy(decide: (event: HookEvent) => Decision | undefined): {
  policy: PolicyLike
  error: string | undefined
} {
  return { policy: { rules: 1, sources: ['test.yaml'], decide }, error: undefined }
}

function engine(
  options: {
    decide?: (event: HookEvent) => Decision | undefined
    mode?: 'enforce' | 'shadow'
    approvals?: Approvals
    audit?: (record: AuditRecord) => Promise<void>
  } = {},
) {
  const records: AuditRecord[] = []
  const log: string[] = []
  const decisions = new Decisions({
    policy: options.decide === undefined ? undefined : fakePolicy(options.decide),
    mode: options.mode ?? 'enforce',
    approvals: options.approvals,
    audit: {
      append: (record) => {
        records.push(record)
        return options.audit?.(record) ?? Promise.resolve()
      },
    },
    body: (decision) => JSON.stringify({ action: decision.action, rule: decision.rule }),
    log: (line) => log.push(line),
  })
  return { decisions, records, log }
}

function input(name: 'PreToolUse' | 'PermissionRequest', event: HookEvent = {}) {
  return {
    name,
    event: { _event: name, session_id: 's1', tool_name: 'Bash', ...event },
    started: performance.now(),
    eventId: 7,
    toolUseId: name === 'PreToolUse' ? 'toolu_1' : null,
    signal: () => new AbortController().signal,
  }
}

const deny: Decision = {
  event: 'PreToolUse',
  action: 'deny',
  rule: 'no-rm',
  reason: 'destructive',
  source: 'test.yaml',
}

describe('Decisions', () => {
  test('enforce: the body, audited with the answer; no rule: no decision, nothing audited', async () => {
    const { decisions, records } = engine({
      decide: (e) => ((e.tool_input as { command?: string })?.command === 'rm' ? deny : undefined),
    })
    const decided = await decisions.answer(input('PreToolUse', { tool_input: { command: 'rm' } }))
    assert.equal(decided.body, '{"action":"deny","rule":"no-rm"}')
    assert.equal(await decisions.answer(input('PreToolUse', { tool_input: {} })), NO_DECISION)
    assert.equal(records.length, 1)
    const r = records[0]!
    assert.equal(r.decided_by, 'no-rm')
    assert.equal(r.action, 'deny')
    assert.equal(r.mode, 'enforce')
    assert.equal(r.answer, decided.body)
    assert.equal(r.tool_use_id, 'toolu_1')
    assert.equal(r.event_id, 7)
    assert.ok(r.latency_ms >= 0)
    assert.deepEqual(decisions.counters, {
      total: 1,
      byAction: { deny: 1 },
      byMode: { enforce: 1 },
      errors: 0,
    })
  })

  test('shadow: decided and audited, but no decision sent; an undecided PermissionRequest still goes to the page', async () => {
    const approvals = new Approvals({ timeoutMs: 20 })
    const { decisions, records } = engine({
      decide: (e) => (e._event === 'PreToolUse' ? deny : undefined),
      mode: 'shadow',
      approvals,
    })
    assert.equal(await decisions.answer(input('PreToolUse')), NO_DECISION)
    assert.equal(records[0]!.mode, 'shadow')
    assert.equal(records[0]!.answer, '')
    assert.equal(records[0]!.action, 'deny')
    const waiting = decisions.answer(input('PermissionRequest'))
    assert.equal(approvals.size, 1)
    approvals.decide(approvals.pending()[0]!.id, 'allow')
    const answered = await waiting
    assert.equal(answered.body, '{"action":"allow","rule":"person"}')
    assert.equal(records[1]!.mode, 'enforce')
    assert.equal(records[1]!.decided_by, 'person')
  })

  test('a policy that throws, a body that throws, an audit that fails: no decision and a line', async () => {
    const thrower = engine({
      decide: () => {
        throw new Error('rule exploded')
      },
    })
    assert.equal(await thrower.decisions.answer(input('PreToolUse')), NO_DECISION)
    assert.match(thrower.log[0]!, /the policy failed.*rule exploded/)
    assert.equal(thrower.records.length, 0)

    const failingAudit = engine({
      decide: () => ({ ...deny, action: 'allow' }),
      audit: () => Promise.reject(new Error('disk full')),
    })
    assert.equal(await failingAudit.decisions.answer(input('PreToolUse')), NO_DECISION)
    assert.match(failingAudit.log[0]!, /audit log could not be written.*disk full/)
    assert.equal(failingAudit.decisions.counters.errors, 1)
    assert.equal(failingAudit.decisions.counters.total, 0)

    const badBody = new Decisions({
      policy: fakePolicy(() => deny),
      mode: 'enforce',
      body: () => {
        throw new Error('no body')
      },
      log: () => {},
    })
    assert.equal(await badBody.answer(input('PreToolUse')), NO_DECISION)
  })

  test('approvals: timeout and withdrawal are audited as no decision; allow-session applies at once later', async () => {
    const approvals = new Approvals({ timeoutMs: 15 })
    const { decisions, records } = engine({ approvals })
    assert.equal(await decisions.answer(input('PermissionRequest')), NO_DECISION)
    assert.deepEqual(
      [records[0]!.decided_by, records[0]!.action, records[0]!.answer],
      ['timeout', 'none', ''],
    )
    const client = new AbortController()
    const gone = decisions.answer({ ...input('PermissionRequest'), signal: () => client.signal })
    client.abort()
    assert.equal(await gone, NO_DECISION)
    assert.equal(records[1]!.decided_by, 'withdrawn')

    const clicked = decisions.answer(input('PermissionRequest'))
    approvals.decide(approvals.pending()[0]!.id, 'allow-session')
    assert.equal((await clicked).body, '{"action":"allow","rule":"person"}')
    const started = performance.now()
    const later = await decisions.answer(input('PermissionRequest'))
    assert.ok(performance.now() - started < 10, 'answered at once')
    assert.equal(later.body, '{"action":"allow","rule":"person (session)"}')
    assert.equal(approvals.size, 0)
    // PreToolUse never waits for a person.
    assert.equal(await decisions.answer(input('PreToolUse')), NO_DECISION)
    assert.equal(approvals.size, 0)
    // The session ends: its grant goes, the next request waits again.
    decisions.observe('SessionEnd', { session_id: 's1' })
    assert.equal(await decisions.answer(input('PermissionRequest')), NO_DECISION)
    assert.equal(records.at(-1)!.decided_by, 'timeout')
    assert.deepEqual(
      records.map((r) => r.decided_by),
      ['timeout', 'withdrawn', 'person', 'person (session)', 'timeout'],
    )
  })
})

describe('cookieMayWrite: the dashboard cookie opens only a same-origin decision on an approval', () => {
  const base = {
    method: 'POST',
    path: '/api/approvals/abc',
    host: '127.0.0.1:23518',
    origin: 'http://127.0.0.1:23518' as string | undefined,
    fetchSite: 'same-origin' as string | undefined,
    fetchMode: 'cors' as string | undefined,
    fetchDest: 'empty' as string | undefined,
  }

  test('a page of the same origin deciding an approval', () => {
    assert.equal(cookieMayWrite(base), true)
    // Browsers without Fetch Metadata still send Origin with a POST.
    assert.equal(cookieMayWrite({ ...base, fetchSite: undefined }), true)
  })

  test('no browser Origin, another site, another route or method: no', () => {
    assert.equal(cookieMayWrite({ ...base, origin: undefined }), false)
    assert.equal(cookieMayWrite({ ...base, origin: undefined, fetchSite: undefined }), false)
    assert.equal(cookieMayWrite({ ...base, fetchSite: 'none' }), false)
    assert.equal(cookieMayWrite({ ...base, fetchSite: 'same-site' }), false)
    assert.equal(cookieMayWrite({ ...base, path: '/hook' }), false)
    assert.equal(cookieMayWrite({ ...base, path: '/api/approvals' }), false)
    assert.equal(cookieMayWrite({ ...base, path: '/api/approvals/abc/x' }), false)
    assert.equal(cookieMayWrite({ ...base, method: 'DELETE' }), false)
    // Another origin's Origin passes cookieMayWrite's own test, but the guard refused it before (403).
    const other = { ...base, origin: 'http://localhost:3000', fetchSite: 'same-site' }
    assert.equal(sameOriginRequest(other), false)
  })
})
