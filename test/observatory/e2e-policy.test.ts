/**
 * Decisions end to end through the real CLI (`observatory serve --policy … --approve-from-page …`): the bodies
 * Claude Code reads for PreToolUse (deny, allow, ask) over TCP (an http hook: node:http) and over the Unix
 * socket (a command hook: curl as `observatory install` writes it, printing the body on stdout), PermissionRequest
 * allow and deny, no decision, shadow mode, reloading the policy while running (and a broken edit), approvals from
 * the page (the API, the live stream's `event: approval`, allow, deny with a message, allow for the session, the
 * timeout, a second decision, the client going away), the audit log's chain, the decisions in the store and on
 * the session's tool calls, /stats, start-up errors, and the TCP guard on the approvals POST.
 *
 * Every test starts its own observatory (`--port 0`, its own socket, store and audit log in a temporary
 * directory), so they run concurrently.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { parseInstallArgs } from '../../src/cli/install.ts'
import { DEFAULT_APPROVAL_TIMEOUT_MS } from '../../src/cli/serve-args.ts'
import {
  DEFAULT_APPROVAL_HOOK_TIMEOUT,
  hookCommand,
  hookEntry,
} from '../../src/observatory/install/hooks.ts'
import { verifyAuditFile } from '../../src/observatory/policy/index.ts'
import type { AuditRecord } from '../../src/observatory/policy/types.ts'
import type { Approval } from '../../src/observatory/server/approvals.ts'
import { TOKEN_COOKIE, tokenCookieValue } from '../../src/observatory/server/guard.ts'
import type { SessionDetail } from '../../src/observatory/sessions/types.ts'
import {
  CURL,
  eventually,
  type Observatory,
  postEvent,
  type Reply,
  request,
  runCli,
  runCurlHook,
  sleep,
  startCli,
  type Target,
  tempDir,
  WAIT_MS,
} from './helpers.ts'

const POLICY = `rules:
  - name: no-rm
    tool: Bash
    match:
      command: "/(^|\\\\s)rm\\\\s/"
    action: deny
    reason: destructive command
  - name: ls-ok
    tool: Bash
    match:
      command: "ls*"
    action: allow
    reason: routine listing
  - name: ask-push
    tool: Bash
    match:
      command: "git push*"
    action: ask
    reason: pushing needs a look
  - name: read-ok
    event: PermissionRequest
    tool: Read
    action: allow
    reason: reading is fine
  - name: no-curl
    event: PermissionRequest
    tool: Bash
    match:
      command: "curl *"
    action: deny
    reason: no network from here
`

interface Setup {
  obs: Observatory
  dir: string
  policy: string
  audit: string
}

/** Start `serve` with a policy file (`POLICY` unless `policy` says otherwise), its own store and audit log. */
async function start(
  t: TestContext,
  args: string[] = [],
  options: { policy?: string | null; env?: Record<string, string> } = {},
): Promise<Setup> {
  const dir = tempDir(t, 'obs-pol-')
  const policy = join(dir, 'policy.yaml')
  const audit = join(dir, 'audit.jsonl')
  const withPolicy = options.policy !== null
  if (withPolicy) writeFileSync(policy, options.policy ?? POLICY)
  // The user's own policy file is never picked up: the user file is looked for in an empty directory.
  const env = { XDG_CONFIG_HOME: join(dir, 'no-config'), ...options.env }
  const obs = await startCli(
    t,
    [
      '--port',
      '0',
      '--socket',
      join(dir, 'in.sock'),
      '--db',
      join(dir, 'events.db'),
      '--audit',
      audit,
      '--quiet',
      ...(withPolicy ? ['--policy', policy] : []),
      ...args,
    ],
    { env },
  )
  return { obs, dir, policy, audit }
}

function pre(command: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    session_id: 'sess-1',
    hook_event_name: 'PreToolUse',
    cwd: '/work/project',
    permission_mode: 'default',
    tool_name: 'Bash',
    tool_input: { command },
    tool_use_id: `toolu_${command.replace(/\W+/g, '_')}`,
    ...extra,
  }
}

function permission(tool: string, input: unknown, extra: Record<string, unknown> = {}) {
  return {
    session_id: 'sess-1',
    hook_event_name: 'PermissionRequest',
    cwd: '/work/project',
    permission_mode: 'default',
    tool_name: tool,
    tool_input: input,
    ...extra,
  }
}

interface PreToolUseOutput {
  hookSpecificOutput: {
    hookEventName: string
    permissionDecision: string
    permissionDecisionReason: string
  }
}

interface PermissionOutput {
  hookSpecificOutput: {
    hookEventName: string
    decision: { behavior: string; message?: string }
  }
}

/** A decision's reply: 200, JSON, and the body parsed. */
function decided<T>(reply: Reply): T {
  assert.equal(reply.status, 200)
  assert.equal(reply.headers['content-type'], 'application/json')
  assert.notEqual(reply.body, '', 'a decision in the body')
  return JSON.parse(reply.body) as T
}

function noDecision(reply: Reply): void {
  assert.equal(reply.status, 200)
  assert.equal(reply.headers['content-type'], 'application/json')
  assert.equal(reply.body, '', 'no decision: the empty body')
}

function assertPreToolUse(body: PreToolUseOutput, decision: string, reason: string): void {
  assert.deepEqual(body, {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: decision,
      permissionDecisionReason: reason,
    },
  })
}

async function getJson<T>(target: Target, path: string): Promise<T> {
  const reply = await request(target, { path })
  assert.equal(reply.status, 200, `GET ${path}: ${reply.body}`)
  return JSON.parse(reply.body) as T
}

interface ApprovalList {
  approvals: Approval[]
  enabled: boolean
  timeout_ms: number | null
}

async function waitForPending(target: Target, count = 1): Promise<Approval[]> {
  let list: Approval[] = []
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    list = (await getJson<ApprovalList>(target, '/api/approvals')).approvals
    if (list.length >= count) return list
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} pending approvals`)
    await sleep(20)
  }
}

function decide(
  target: Target,
  id: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return request(target, {
    method: 'POST',
    path: `/api/approvals/${id}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

function auditRecords(path: string): (AuditRecord & { seq: number })[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditRecord & { seq: number })
}

async function waitForAudit(
  path: string,
  count: number,
): Promise<(AuditRecord & { seq: number })[]> {
  let records: (AuditRecord & { seq: number })[] = []
  await eventually(() => {
    try {
      records = auditRecords(path)
    } catch {
      records = []
    }
    return records.length >= count
  }, `${count} audit lines in ${path}`)
  return records
}

/** The hook command `observatory install` writes (with `permissionTimeout` for --approvals), run as Claude Code runs it. */
function runInstalledHook(
  target: { socketPath: string },
  event: string,
  payload: unknown,
  permissionTimeout?: number,
): Promise<{ code: number | null; stdout: string }> {
  const command = hookCommand(
    {
      transport: 'unix',
      socketPath: target.socketPath,
      host: '',
      port: 0,
      ...(permissionTimeout === undefined ? {} : { permissionTimeout }),
    },
    event,
  )
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'inherit'] })
  const out: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => out.push(c))
  child.stdin.end(JSON.stringify(payload))
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS)
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out).toString('utf8') })
    })
  })
}

interface SseEvent {
  id: string | undefined
  event: string | undefined
  data: string
}

/** A client of `GET /events` that keeps everything it received. */
class SseClient {
  readonly #req: http.ClientRequest
  #text = ''

  private constructor(req: http.ClientRequest, res: http.IncomingMessage) {
    this.#req = req
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      this.#text += chunk
    })
    res.on('error', () => {})
  }

  static open(t: TestContext, target: Target, headers: Record<string, string> = {}) {
    return new Promise<SseClient>((resolve, reject) => {
      const req = http.get(
        {
          ...('port' in target ? { host: '127.0.0.1', port: target.port } : target),
          path: '/events',
          headers,
          agent: false,
        },
        (res) => {
          assert.equal(res.statusCode, 200)
          const client = new SseClient(req, res)
          t.after(() => client.close())
          resolve(client)
        },
      )
      req.on('error', reject)
    })
  }

  get text(): string {
    return this.#text
  }

  events(): SseEvent[] {
    const out: SseEvent[] = []
    const blocks = this.#text.split('\n\n')
    blocks.pop()
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

  /** The `event: approval` events so far, parsed. */
  approvals(): { type: string; approval: Approval; id: string | undefined }[] {
    return this.events()
      .filter((e) => e.event === 'approval')
      .map((e) => ({ ...(JSON.parse(e.data) as { type: string; approval: Approval }), id: e.id }))
  }

  async waitForApproval(type: string, count = 1, ms = WAIT_MS): Promise<Approval> {
    await eventually(
      () => this.approvals().filter((a) => a.type === type).length >= count,
      () => `${count} × event: approval ${type}; stream so far:\n${this.#text.slice(-2000)}`,
      ms,
    )
    return this.approvals().filter((a) => a.type === type)[count - 1]!.approval
  }

  close(): void {
    this.#req.destroy()
  }
}

// ---- the tests ----------------------------------------------------------------------------------------

describe('decisions end to end', { concurrency: true, timeout: 180_000 }, () => {
  it('PreToolUse: deny, allow and ask bodies over TCP (http hook) and the Unix socket (curl hook); no rule → empty', async (t) => {
    const { obs, audit } = await start(t)
    // TCP, as Claude Code's http hooks send them.
    assertPreToolUse(
      decided<PreToolUseOutput>(await postEvent(obs.tcp, 'PreToolUse', pre('rm -rf build'))),
      'deny',
      'destructive command',
    )
    assertPreToolUse(
      decided<PreToolUseOutput>(await postEvent(obs.tcp, 'PreToolUse', pre('ls -la'))),
      'allow',
      'routine listing',
    )
    assertPreToolUse(
      decided<PreToolUseOutput>(await postEvent(obs.tcp, 'PreToolUse', pre('git push origin'))),
      'ask',
      'pushing needs a look',
    )
    noDecision(await postEvent(obs.tcp, 'PreToolUse', pre('echo hello')))
    // Another tool, another event: no decision.
    noDecision(
      await postEvent(obs.tcp, 'PreToolUse', { ...pre('x'), tool_name: 'Read', tool_input: {} }),
    )
    noDecision(await postEvent(obs.tcp, 'PostToolUse', pre('rm -rf build')))
    // The Unix socket, through the hook command `observatory install` writes: curl prints the body on stdout,
    // which is what Claude Code reads from a command hook.
    if (CURL !== undefined) {
      const denied = await runCurlHook(
        obs.unix,
        'PreToolUse',
        JSON.stringify(pre('rm -r /tmp/x', { tool_use_id: 'toolu_curl_1' })),
      )
      assert.equal(denied.code, 0)
      assertPreToolUse(JSON.parse(denied.stdout) as PreToolUseOutput, 'deny', 'destructive command')
      const allowed = await runCurlHook(
        obs.unix,
        'PreToolUse',
        JSON.stringify(pre('ls', { tool_use_id: 'toolu_curl_2' })),
      )
      assertPreToolUse(JSON.parse(allowed.stdout) as PreToolUseOutput, 'allow', 'routine listing')
      const asked = await runCurlHook(
        obs.unix,
        'PreToolUse',
        JSON.stringify(pre('git push', { tool_use_id: 'toolu_curl_3' })),
      )
      assertPreToolUse(JSON.parse(asked.stdout) as PreToolUseOutput, 'ask', 'pushing needs a look')
      const none = await runCurlHook(obs.unix, 'PreToolUse', JSON.stringify(pre('pwd')))
      assert.equal(none.code, 0)
      assert.equal(none.stdout, '', 'no decision: curl prints nothing')
    } else {
      t.diagnostic('curl not found: the Unix socket checked with node:http only')
    }
    assertPreToolUse(
      decided<PreToolUseOutput>(await postEvent(obs.unix, 'PreToolUse', pre('rm x'))),
      'deny',
      'destructive command',
    )

    // /stats counts them; the audit log has every one, in order, and its chain verifies.
    const decisions = CURL === undefined ? 4 : 7
    const stats = await getJson<{
      decisions: {
        total: number
        byAction: Record<string, number>
        byMode: Record<string, number>
      }
    }>(obs.tcp, '/stats')
    assert.equal(stats.decisions.total, decisions)
    assert.deepEqual(stats.decisions.byMode, { enforce: decisions })
    assert.equal(stats.decisions.byAction.deny, CURL === undefined ? 2 : 3)
    const records = await waitForAudit(audit, decisions)
    assert.deepEqual(
      records.map((r) => r.seq),
      records.map((_, i) => i + 1),
    )
    assert.deepEqual(records[0], {
      ...records[0],
      event: 'PreToolUse',
      session_id: 'sess-1',
      tool_name: 'Bash',
      tool_use_id: 'toolu_rm_rf_build',
      decided_by: 'no-rm',
      action: 'deny',
      reason: 'destructive command',
      mode: 'enforce',
    })
    assertPreToolUse(
      JSON.parse(records[0]!.answer) as PreToolUseOutput,
      'deny',
      'destructive command',
    )
    assert.equal(typeof records[0]!.event_id, 'number')
    assert.ok(records[0]!.latency_ms >= 0 && records[0]!.latency_ms < 1000)
    await obs.stopCleanly()
    const verified = await verifyAuditFile(audit)
    assert.equal(verified.ok, true)
    assert.equal(verified.ok && verified.lines, decisions)
  })

  it('PermissionRequest: allow and deny bodies; no rule → empty', async (t) => {
    const { obs } = await start(t)
    const allowed = decided<PermissionOutput>(
      await postEvent(
        obs.tcp,
        'PermissionRequest',
        permission('Read', { file_path: '/etc/hosts' }),
      ),
    )
    assert.deepEqual(allowed, {
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } },
    })
    const denied = decided<PermissionOutput>(
      await postEvent(
        obs.unix,
        'PermissionRequest',
        permission('Bash', { command: 'curl https://example.com' }),
      ),
    )
    assert.deepEqual(denied, {
      hookSpecificOutput: {
        hookEventName: 'PermissionRequest',
        decision: { behavior: 'deny', message: 'no network from here' },
      },
    })
    noDecision(
      await postEvent(obs.tcp, 'PermissionRequest', permission('Bash', { command: 'make' })),
    )
    // A PreToolUse rule does not answer a PermissionRequest.
    noDecision(
      await postEvent(obs.tcp, 'PermissionRequest', permission('Bash', { command: 'rm -rf /' })),
    )
    await obs.stopCleanly()
  })

  it('shadow mode: the usual empty body, but decided, audited and stored; the call shows it', async (t) => {
    const { obs, audit } = await start(t, ['--policy-mode', 'shadow'])
    await obs.waitForStderr(/Policy: .*policy\.yaml \(5 rules, shadow\)/)
    noDecision(await postEvent(obs.tcp, 'PreToolUse', pre('rm -rf build')))
    noDecision(
      await postEvent(obs.tcp, 'PermissionRequest', permission('Read', { file_path: '/x' })),
    )
    noDecision(await postEvent(obs.tcp, 'PreToolUse', pre('echo')))
    const records = await waitForAudit(audit, 2)
    assert.deepEqual(
      records.map((r) => [r.event, r.decided_by, r.action, r.mode, r.answer]),
      [
        ['PreToolUse', 'no-rm', 'deny', 'shadow', ''],
        ['PermissionRequest', 'read-ok', 'allow', 'shadow', ''],
      ],
    )
    const policy = await getJson<{ mode: string; rules: number; error: string | null }>(
      obs.tcp,
      '/api/policy',
    )
    assert.equal(policy.mode, 'shadow')
    // In the store (the next group commit), on the session's call.
    let detail: SessionDetail | undefined
    for (let i = 0; i < 200; i++) {
      detail = await getJson<SessionDetail>(obs.tcp, '/api/sessions/sess-1')
      if (detail.tool_calls.find((c) => c.tool_use_id === 'toolu_rm_rf_build')?.decision) break
      await sleep(20)
    }
    const call = detail?.tool_calls.find((c) => c.tool_use_id === 'toolu_rm_rf_build')
    assert.deepEqual(call?.decision, {
      action: 'deny',
      decided_by: 'no-rm',
      mode: 'shadow',
      reason: 'destructive command',
    })
    assert.equal(detail?.tool_calls.find((c) => c.tool_use_id === 'toolu_echo')?.decision, null)
    const stats = await getJson<{ decisions: { byMode: Record<string, number> } }>(
      obs.tcp,
      '/stats',
    )
    assert.deepEqual(stats.decisions.byMode, { shadow: 2 })
    await obs.stopCleanly()
  })

  it('reload: an edit applies to the next event; a broken edit keeps the last good policy and says so', async (t) => {
    const { obs, policy } = await start(t)
    noDecision(await postEvent(obs.tcp, 'PreToolUse', pre('make deploy')))
    writeFileSync(
      policy,
      `rules:
  - name: no-deploy
    tool: Bash
    match:
      command: "make deploy*"
    action: deny
    reason: deploys go through CI
`,
    )
    await obs.waitForStderr(/policy: reloaded 1 rule from .*policy\.yaml/)
    assertPreToolUse(
      decided<PreToolUseOutput>(await postEvent(obs.tcp, 'PreToolUse', pre('make deploy'))),
      'deny',
      'deploys go through CI',
    )
    // The old rules are gone.
    noDecision(await postEvent(obs.tcp, 'PreToolUse', pre('rm -rf build')))
    let info = await getJson<{ files: string[]; rules: number; error: string | null }>(
      obs.tcp,
      '/api/policy',
    )
    assert.deepEqual(info, { ...info, files: [policy], rules: 1, error: null })

    writeFileSync(policy, 'rules:\n  - name: broken\n    action: explode\n')
    await obs.waitForStderr(
      /policy: .*policy\.yaml:\d+:\d+: .*keeping the last good policy \(1 rule\)/,
    )
    info = await getJson(obs.tcp, '/api/policy')
    assert.equal(info.rules, 1)
    assert.match(info.error ?? '', /policy\.yaml:\d+:\d+: /)
    assertPreToolUse(
      decided<PreToolUseOutput>(await postEvent(obs.tcp, 'PreToolUse', pre('make deploy'))),
      'deny',
      'deploys go through CI',
    )
    // Fixed: the error goes.
    writeFileSync(policy, POLICY)
    await obs.waitForStderr(/policy: reloaded 5 rules from/)
    info = await getJson(obs.tcp, '/api/policy')
    assert.deepEqual([info.rules, info.error], [5, null])
    await obs.stopCleanly()
  })

  it('approvals: pending in the API and the live stream; allow, deny with a message, second decision 409', async (t) => {
    const { obs, audit } = await start(t, ['--approve-from-page'])
    await obs.waitForStderr(/Approvals from the page: on, up to 60 s each/)
    const sse = await SseClient.open(t, obs.tcp)
    await eventually(() => sse.text.includes(': connected'), 'the stream to open')

    // The call the permission is about (the session model links them).
    noDecision(
      await postEvent(obs.tcp, 'PreToolUse', pre('npm test', { tool_use_id: 'toolu_npm' })),
    )
    const waiting = postEvent(
      obs.tcp,
      'PermissionRequest',
      permission('Bash', { command: 'npm test' }),
    )
    const [approval] = await waitForPending(obs.tcp)
    assert.ok(approval)
    assert.deepEqual(
      {
        session_id: approval.session_id,
        cwd: approval.cwd,
        tool_name: approval.tool_name,
        tool_input: approval.tool_input,
        input_summary: approval.input_summary,
        state: approval.state,
      },
      {
        session_id: 'sess-1',
        cwd: '/work/project',
        tool_name: 'Bash',
        tool_input: { command: 'npm test' },
        input_summary: 'npm test',
        state: 'pending',
      },
    )
    assert.ok(approval.deadline - approval.created === 60_000)
    const announced = await sse.waitForApproval('pending')
    assert.equal(announced.id, approval.id)

    const allowed = await decide(obs.tcp, approval.id, { decision: 'allow' })
    assert.equal(allowed.status, 200)
    const resolved = JSON.parse(allowed.body) as Approval
    assert.deepEqual(
      [resolved.state, resolved.decided_by, resolved.choice],
      ['allowed', 'person', 'allow'],
    )
    assert.deepEqual(decided<PermissionOutput>(await waiting), {
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } },
    })
    assert.equal((await sse.waitForApproval('resolved')).state, 'allowed')
    // Final once given.
    const again = await decide(obs.tcp, approval.id, { decision: 'deny' })
    assert.equal(again.status, 409)
    assert.match((JSON.parse(again.body) as { error: string }).error, /decided already/)
    assert.equal((await decide(obs.tcp, 'no-such-approval', { decision: 'allow' })).status, 404)
    assert.deepEqual((await getJson<ApprovalList>(obs.tcp, '/api/approvals')).approvals, [])

    // Deny, with a message Claude is told.
    const second = postEvent(
      obs.unix,
      'PermissionRequest',
      permission('Write', { file_path: '/etc/x' }),
    )
    const [toDeny] = await waitForPending(obs.tcp)
    assert.ok(toDeny)
    assert.equal(
      (await decide(obs.tcp, toDeny.id, { decision: 'deny', message: 'not there' })).status,
      200,
    )
    assert.deepEqual(decided<PermissionOutput>(await second), {
      hookSpecificOutput: {
        hookEventName: 'PermissionRequest',
        decision: { behavior: 'deny', message: 'not there' },
      },
    })

    // Bad bodies.
    const third = postEvent(obs.tcp, 'PermissionRequest', permission('Bash', { command: 'make' }))
    const [other] = await waitForPending(obs.tcp)
    assert.ok(other)
    assert.equal((await decide(obs.tcp, other.id, '{not json')).status, 400)
    const invalid = await decide(obs.tcp, other.id, { decision: 'maybe' })
    assert.equal(invalid.status, 422)
    assert.equal((await decide(obs.tcp, other.id, { message: 'x' })).status, 422)
    assert.equal((await getJson<ApprovalList>(obs.tcp, '/api/approvals')).approvals.length, 1)
    assert.equal((await decide(obs.tcp, other.id, { decision: 'deny' })).status, 200)
    decided<PermissionOutput>(await third)

    // The named events carry no id; the event lines keep theirs.
    const events = sse.events()
    assert.ok(events.filter((e) => e.event === 'approval').every((e) => e.id === undefined))
    const lines = events.filter((e) => e.event === undefined)
    assert.ok(lines.length >= 4)
    assert.ok(lines.every((e) => /^\d+$/.test(e.id ?? '')))

    // The person's decisions: audited, stored, and on the call the permission was linked to.
    const records = await waitForAudit(audit, 3)
    assert.deepEqual(
      records.map((r) => [r.event, r.decided_by, r.action, r.tool_use_id]),
      [
        ['PermissionRequest', 'person', 'allow', 'toolu_npm'],
        ['PermissionRequest', 'person', 'deny', null],
        ['PermissionRequest', 'person', 'deny', null],
      ],
    )
    const detail = await getJson<SessionDetail>(obs.tcp, '/api/sessions/sess-1')
    assert.deepEqual(detail.tool_calls.find((c) => c.tool_use_id === 'toolu_npm')?.decision, {
      action: 'allow',
      decided_by: 'person',
      mode: 'enforce',
      reason: 'allowed from the observatory page',
    })
    await obs.stopCleanly()
    assert.equal((await verifyAuditFile(audit)).ok, true)
  })

  it('approvals: allow for this session decides the next request of that session and tool at once', async (t) => {
    const { obs, audit } = await start(t, ['--approve-from-page'], { policy: null })
    await obs.waitForStderr(/Policy: none/)
    const first = postEvent(
      obs.tcp,
      'PermissionRequest',
      permission('Bash', { command: 'npm test' }),
    )
    const [approval] = await waitForPending(obs.tcp)
    assert.ok(approval)
    assert.equal((await decide(obs.tcp, approval.id, { decision: 'allow-session' })).status, 200)
    const allow = {
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } },
    }
    assert.deepEqual(decided<PermissionOutput>(await first), allow)
    // The same session and tool, another input: at once, by `person (session)`.
    const started = Date.now()
    assert.deepEqual(
      decided<PermissionOutput>(
        await postEvent(
          obs.tcp,
          'PermissionRequest',
          permission('Bash', { command: 'npm run lint' }),
        ),
      ),
      allow,
    )
    assert.ok(Date.now() - started < 5_000)
    // Another tool, another session: they wait.
    const otherTool = postEvent(
      obs.tcp,
      'PermissionRequest',
      permission('Write', { file_path: '/a' }),
    )
    const otherSession = postEvent(
      obs.tcp,
      'PermissionRequest',
      permission('Bash', { command: 'npm test' }, { session_id: 'sess-2' }),
    )
    const pending = await waitForPending(obs.tcp, 2)
    assert.deepEqual(pending.map((a) => [a.session_id, a.tool_name]).sort(), [
      ['sess-1', 'Write'],
      ['sess-2', 'Bash'],
    ])
    for (const a of pending) await decide(obs.tcp, a.id, { decision: 'deny' })
    await otherTool
    await otherSession
    const records = await waitForAudit(audit, 4)
    const rows = records.map((r) => [r.session_id, r.tool_name, r.decided_by, r.action])
    assert.deepEqual(rows.slice(0, 2), [
      ['sess-1', 'Bash', 'person', 'allow'],
      ['sess-1', 'Bash', 'person (session)', 'allow'],
    ])
    assert.deepEqual(rows.slice(2).sort(), [
      ['sess-1', 'Write', 'person', 'deny'],
      ['sess-2', 'Bash', 'person', 'deny'],
    ])
    assert.equal(records[1]!.reason, 'allowed for this session from the observatory page')
    // The session ends: its grant goes.
    noDecision(await postEvent(obs.tcp, 'SessionEnd', { session_id: 'sess-1', reason: 'exit' }))
    const after = postEvent(obs.tcp, 'PermissionRequest', permission('Bash', { command: 'ls' }))
    const [again] = await waitForPending(obs.tcp)
    assert.ok(again)
    await decide(obs.tcp, again.id, { decision: 'deny' })
    await after
    await obs.stopCleanly()
  })

  it('approvals: the timeout answers no decision; a decision after it is a 409', async (t) => {
    const { obs, audit } = await start(t, ['--approve-from-page', '--approval-timeout', '1s'])
    const sse = await SseClient.open(t, obs.tcp)
    await eventually(() => sse.text.includes(': connected'), 'the stream to open')
    const started = Date.now()
    const waiting = postEvent(obs.tcp, 'PermissionRequest', permission('Bash', { command: 'make' }))
    const [approval] = await waitForPending(obs.tcp)
    assert.ok(approval)
    assert.equal(approval.deadline - approval.created, 1000)
    noDecision(await waiting)
    const took = Date.now() - started
    assert.ok(took >= 900 && took < 10_000, `answered after the timeout (${took} ms)`)
    const expired = await sse.waitForApproval('expired')
    assert.deepEqual(
      [expired.id, expired.state, expired.decided_by],
      [approval.id, 'expired', 'timeout'],
    )
    const late = await decide(obs.tcp, approval.id, { decision: 'allow' })
    assert.equal(late.status, 409)
    assert.match(late.body, /expired/)
    const [record] = await waitForAudit(audit, 1)
    assert.deepEqual(
      [record!.decided_by, record!.action, record!.answer, record!.mode],
      ['timeout', 'none', '', 'enforce'],
    )
    assert.ok(record!.latency_ms >= 1000)

    // Through the installed curl hook (PermissionRequest hook with --approvals' timeout), the same.
    if (CURL !== undefined) {
      const hook = runInstalledHook(
        obs.unix,
        'PermissionRequest',
        permission('Bash', { command: 'x' }),
        75,
      )
      const result = await hook
      assert.deepEqual(result, { code: 0, stdout: '' })
    }
    await obs.stopCleanly()
  })

  it('approvals through the curl hook: the waiting command prints the allow body', {
    skip: CURL === undefined,
  }, async (t) => {
    const { obs } = await start(t, ['--approve-from-page'], { policy: null })
    const hook = runInstalledHook(
      obs.unix,
      'PermissionRequest',
      permission('Bash', { command: 'npm test' }),
      75,
    )
    const [approval] = await waitForPending(obs.tcp)
    assert.ok(approval)
    assert.equal((await decide(obs.tcp, approval.id, { decision: 'allow' })).status, 200)
    const result = await hook
    assert.equal(result.code, 0)
    assert.match(result.stdout, /^\{/, `curl printed the body: ${JSON.stringify(result)}`)
    assert.deepEqual(JSON.parse(result.stdout), {
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } },
    })
    await obs.stopCleanly()
  })

  for (const engine of ['node', 'raw'] as const) {
    it(`approvals: the client goes away → withdrawn, pages told (--engine ${engine})`, async (t) => {
      const { obs, audit } = await start(t, ['--approve-from-page', '--engine', engine], {
        policy: null,
      })
      const sse = await SseClient.open(t, obs.tcp)
      await eventually(() => sse.text.includes(': connected'), 'the stream to open')
      const req = http.request({
        host: '127.0.0.1',
        port: obs.tcp.port,
        method: 'POST',
        path: '/hook?event=PermissionRequest',
        headers: { 'Content-Type': 'application/json' },
        agent: false,
      })
      req.on('error', () => {})
      req.end(JSON.stringify(permission('Bash', { command: 'sleep 100' })))
      const [approval] = await waitForPending(obs.tcp)
      assert.ok(approval)
      req.destroy()
      // (The raw engine's known gap is not waited for long.)
      const withdrawn = await sse.waitForApproval('withdrawn', 1, engine === 'raw' ? 3000 : WAIT_MS)
      assert.deepEqual([withdrawn.id, withdrawn.decided_by], [approval.id, 'withdrawn'])
      assert.deepEqual((await getJson<ApprovalList>(obs.tcp, '/api/approvals')).approvals, [])
      assert.equal((await decide(obs.tcp, approval.id, { decision: 'allow' })).status, 409)
      const [record] = await waitForAudit(audit, 1)
      assert.deepEqual([record!.decided_by, record!.action], ['withdrawn', 'none'])
      await obs.stopCleanly()
    })
  }

  it('shutdown answers the waiting hooks at once (no decision) and exits cleanly', async (t) => {
    const { obs, audit } = await start(t, ['--approve-from-page'], { policy: null })
    const waiting = postEvent(obs.tcp, 'PermissionRequest', permission('Bash', { command: 'make' }))
    await waitForPending(obs.tcp)
    const started = Date.now()
    await obs.stopCleanly()
    noDecision(await waiting)
    assert.ok(Date.now() - started < 5_000, 'not held until the approval timeout')
    const [record] = auditRecords(audit)
    assert.deepEqual([record!.decided_by, record!.action], ['shutdown', 'none'])
    assert.equal((await verifyAuditFile(audit)).ok, true)
  })

  it('guard: the approvals POST over TCP — cross-site refused, the cookie from the same origin OK, the bearer OK', async (t) => {
    const token = 'policy-test-token'
    const { obs } = await start(t, ['--approve-from-page', '--token', token], { policy: null })
    const own = `http://127.0.0.1:${obs.tcp.port}`
    const cookie = `${TOKEN_COOKIE}=${tokenCookieValue(token)}`
    const bearer = { Authorization: `Bearer ${token}` }
    const hooks: Promise<Reply>[] = []
    const pendingOne = async (): Promise<Approval> => {
      const before = (await listWith(bearer)).length
      hooks.push(
        postEvent(
          obs.tcp,
          'PermissionRequest',
          permission('Bash', { command: `n${hooks.length}` }),
          {
            headers: bearer,
          },
        ),
      )
      for (;;) {
        const list = await listWith(bearer)
        if (list.length > before) return list.at(-1)!
        await sleep(20)
      }
    }
    const listWith = async (headers: Record<string, string>): Promise<Approval[]> => {
      const reply = await request(obs.tcp, { path: '/api/approvals', headers })
      assert.equal(reply.status, 200)
      return (JSON.parse(reply.body) as ApprovalList).approvals
    }
    const a = await pendingOne()
    // Cross-site, even with the cookie: refused.
    for (const headers of <Record<string, string>[]>[
      { Cookie: cookie, Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' },
      { Cookie: cookie, Origin: 'http://localhost:3000', 'Sec-Fetch-Site': 'same-site' },
      { Cookie: cookie, Origin: 'null' },
      { ...bearer, Origin: 'http://evil.example' },
    ]) {
      const reply = await decide(obs.tcp, a.id, { decision: 'allow' }, headers)
      assert.equal(reply.status, 403, JSON.stringify(headers))
    }
    // The cookie without a browser's Origin (curl with a copied cookie): the token is needed.
    assert.equal(
      (await decide(obs.tcp, a.id, { decision: 'allow' }, { Cookie: cookie })).status,
      401,
    )
    assert.equal(
      (
        await decide(
          obs.tcp,
          a.id,
          { decision: 'allow' },
          {
            Cookie: cookie,
            'Sec-Fetch-Site': 'same-origin',
          },
        )
      ).status,
      401,
    )
    // Nothing at all: 401.
    assert.equal((await decide(obs.tcp, a.id, { decision: 'allow' })).status, 401)
    // The cookie never opens the hook POST.
    assert.equal(
      (await postEvent(obs.tcp, 'Stop', {}, { headers: { Cookie: cookie, Origin: own } })).status,
      401,
    )
    // The dashboard's fetch: the cookie, same origin.
    const byPage = await decide(
      obs.tcp,
      a.id,
      { decision: 'allow' },
      {
        Cookie: cookie,
        Origin: own,
        'Sec-Fetch-Site': 'same-origin',
        'Sec-Fetch-Mode': 'cors',
      },
    )
    assert.equal(byPage.status, 200, byPage.body)
    // The bearer token (a script).
    const b = await pendingOne()
    assert.equal((await decide(obs.tcp, b.id, { decision: 'deny' }, bearer)).status, 200)
    // The Unix socket needs none of it.
    const c = await pendingOne()
    assert.equal((await decide(obs.unix, c.id, { decision: 'deny' })).status, 200)
    const answers = await Promise.all(hooks)
    assert.deepEqual(
      answers.map(
        (r) => (JSON.parse(r.body) as PermissionOutput).hookSpecificOutput.decision.behavior,
      ),
      ['allow', 'deny', 'deny'],
    )
    await obs.stopCleanly()
  })

  it('start-up: a broken policy file → one line, exit 1; a bad option → exit 2; GET /api/policy without a policy', async (t) => {
    const dir = tempDir(t, 'obs-pol-')
    const broken = join(dir, 'broken.yaml')
    writeFileSync(broken, 'rules:\n  - name: x\n    tool: Bash\n    action: nope\n')
    const common = [
      '--port',
      '0',
      '--socket',
      join(dir, 's.sock'),
      '--no-db',
      '--audit',
      join(dir, 'a.jsonl'),
    ]
    const bad = await runCli(['serve', ...common, '--policy', broken])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /^[^\n]*broken\.yaml:4:\d+: [^\n]+\n$/)
    const missing = await runCli(['serve', ...common, '--policy', join(dir, 'nope.yaml')])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^policy file .*nope\.yaml: [^\n]+\n$/)
    for (const args of [
      ['--policy-mode', 'loud'],
      ['--approval-timeout', '5s'],
      ['--approve-from-page', '--approval-timeout', 'soon'],
      ['--approve-from-page', '--approval-timeout', '10m'],
      ['--policy', ''],
      ['--audit', ''],
    ]) {
      const result = await runCli(['serve', ...common, ...args])
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`)
    }
    // No policy, no approvals: nothing changes, and the API says so.
    const { obs } = await start(t, [], { policy: null })
    await obs.waitForStderr(/Policy: none\n/)
    assert.doesNotMatch(obs.stderr(), /Audit log:/)
    noDecision(await postEvent(obs.tcp, 'PreToolUse', pre('rm -rf /')))
    assert.deepEqual(await getJson(obs.tcp, '/api/policy'), {
      mode: 'enforce',
      files: [],
      rules: 0,
      error: null,
      approvals: { enabled: false, timeout_ms: null },
    })
    assert.deepEqual(await getJson(obs.tcp, '/api/approvals'), {
      approvals: [],
      enabled: false,
      timeout_ms: null,
    })
    assert.equal((await decide(obs.tcp, 'x', { decision: 'allow' })).status, 404)
    const stats = await getJson<{ decisions: unknown }>(obs.tcp, '/stats')
    assert.equal(stats.decisions, null)
    await obs.stopCleanly()
  })

  it('the default policy files: the project file is found from the working directory, the user file from XDG_CONFIG_HOME', async (t) => {
    const dir = tempDir(t, 'obs-pol-')
    const config = join(dir, 'config')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(join(config, 'hooks-observatory'), { recursive: true })
    const userFile = join(config, 'hooks-observatory', 'policy.yaml')
    writeFileSync(userFile, POLICY)
    const { obs } = await start(t, [], { policy: null, env: { XDG_CONFIG_HOME: config } })
    await obs.waitForStderr(
      /Policy: [^\n]*config\/hooks-observatory\/policy\.yaml[^\n]*\(5 rules, enforce\)/,
    )
    assertPreToolUse(
      decided<PreToolUseOutput>(await postEvent(obs.tcp, 'PreToolUse', pre('rm -rf x'))),
      'deny',
      'destructive command',
    )
    const info = await getJson<{ files: string[] }>(obs.tcp, '/api/policy')
    assert.ok(info.files.includes(userFile))
    await obs.stopCleanly()
  })

  it('install --approvals: the PermissionRequest hook waits longer than serve --approval-timeout', async (t) => {
    const defaults = parseInstallArgs(['--project', '/p', '--approvals'], {})
    assert.ok(defaults !== 'help' && defaults !== 'list-events')
    assert.equal(defaults.target.permissionTimeout, DEFAULT_APPROVAL_HOOK_TIMEOUT)
    assert.ok(DEFAULT_APPROVAL_HOOK_TIMEOUT * 1000 > DEFAULT_APPROVAL_TIMEOUT_MS)
    assert.equal(defaults.target.timeout, 3)
    assert.match(hookCommand(defaults.target, 'PermissionRequest'), / --max-time 75 /)
    assert.match(hookCommand(defaults.target, 'PreToolUse'), / --max-time 3 /)
    const http = { ...defaults.target, transport: 'http' as const, host: '127.0.0.1', port: 9 }
    assert.equal(String(hookEntry(http, 'PermissionRequest').get('timeout')), '75')
    assert.equal(String(hookEntry(http, 'PreToolUse').get('timeout')), '3')
    const explicit = parseInstallArgs(['--project', '/p', '--permission-timeout', '120'], {})
    assert.ok(explicit !== 'help' && explicit !== 'list-events')
    assert.equal(explicit.target.permissionTimeout, 120)
    const longer = parseInstallArgs(['--project', '/p', '--approvals', '--timeout', '100'], {})
    assert.ok(longer !== 'help' && longer !== 'list-events')
    assert.equal(longer.target.permissionTimeout, 100)
    const without = parseInstallArgs(['--project', '/p'], {})
    assert.ok(without !== 'help' && without !== 'list-events')
    assert.equal(without.target.permissionTimeout, undefined)
    assert.throws(
      () => parseInstallArgs(['--project', '/p', '--permission-timeout', '0'], {}),
      /--permission-timeout must be a whole number of seconds from 1 to 600/,
    )

    // The real CLI writes it, and recognises it as its own (uninstall removes it).
    const dir = tempDir(t, 'obs-pol-')
    const settings = join(dir, '.claude', 'settings.json')
    const installed = await runCli(['install', '--project', dir, '--approvals', '--yes'])
    assert.equal(installed.code, 0, installed.stderr)
    assert.match(
      installed.stdout + installed.stderr,
      /PermissionRequest 75 s, for approvals from the page/,
    )
    const written = JSON.parse(readFileSync(settings, 'utf8')) as {
      hooks: Record<string, { hooks: { command: string }[] }[]>
    }
    assert.match(written.hooks.PermissionRequest![0]!.hooks[0]!.command, / --max-time 75 /)
    assert.match(written.hooks.PreToolUse![0]!.hooks[0]!.command, / --max-time 3 /)
    const removed = await runCli(['install', '--project', dir, '--uninstall', '--yes'])
    assert.equal(removed.code, 0, removed.stderr)
    const after = JSON.parse(readFileSync(settings, 'utf8')) as { hooks?: Record<string, unknown> }
    assert.equal(after.hooks?.PermissionRequest, undefined)
  })

  it('the OpenAPI document describes the decision routes', async (t) => {
    const { obs } = await start(t, [], { policy: null })
    const doc = await getJson<{ paths: Record<string, Record<string, unknown>> }>(
      obs.tcp,
      '/openapi.json',
    )
    assert.ok(doc.paths['/api/approvals']?.get)
    assert.ok(doc.paths['/api/approvals/{id}']?.post)
    assert.ok(doc.paths['/api/policy']?.get)
    await obs.stopCleanly()
  })
})
