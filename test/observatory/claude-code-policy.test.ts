/**
 * The real Claude Code CLI (`claude -p`, offline, driven by the scripted fake Messages API) under the
 * observatory's decisions (`serve --policy FILE …`, docs/policy.md). Every scenario proves with a marker file
 * whether a command ran, and looks at what the model was told (the `tool_result` blocks the fake API received):
 *
 * 1. deny, on both transports (curl over the Unix socket; native http hooks over TCP): the issue's example
 *    policy, verbatim, plus a rule for `touch`; with Bash allowed (`--allowedTools Bash`, so without the policy
 *    both would run), `rm -rf victim` and `touch touched-marker` do not run, and the model is told each rule's
 *    reason; `observatory audit verify` passes on the audit log and fails on a tampered copy;
 * 2. allow: with only Read allowed (`-p` would deny Bash), a PreToolUse allow rule lets `touch allowed-marker`
 *    run, with no PermissionRequest at all;
 * 3. shadow (`--policy-mode shadow`): the deny rule matches but nothing changes, the command runs; the decision
 *    is recorded (audit line, `mode: shadow`; the tool call's `decision` in `GET /api/sessions/{id}`);
 * 4. approval from the page (`--approve-from-page`, `install --approvals`): with only Read allowed, `touch` asks
 *    for permission; the PermissionRequest waits on the dashboard, Allow is clicked in headless Chromium (or,
 *    without Chromium, sent as `POST /api/approvals/{id}`), and the command runs;
 * 5. the observatory killed (SIGKILL) mid-session, on both transports: after SessionStart and the prompt, just
 *    before the fake API tells Claude Code to use its first tool; Claude Code carries on as without hooks: an
 *    allowed tool (Read) runs, a tool needing permission (Bash `touch`) is denied as `-p` does (not silently
 *    allowed), and `claude` exits 0.
 *
 * The scenarios run concurrently (4 at a time). Skipped, with the reason printed, when `claude` or curl is not on
 * PATH; the Chromium part of (4) falls back to the API where /usr/bin/chromium is absent.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { browserSkip, launchBrowser } from '../e2e/browser.ts'
import { watchedPage } from '../e2e/dashboard-page.ts'
import {
  type ClaudeSession,
  type Line,
  runClaudeSession,
  type SessionOptions,
  skipped,
} from './claude-code-harness.ts'
import {
  type Script,
  type ScriptedAnswer,
  type ToolCall,
  type ToolResult,
  text,
  toolResultsOf,
  toolUse,
} from './fake-anthropic.ts'
import { type Observatory, request, runCli, sleep, tempDir } from './helpers.ts'

const LABEL = 'claude-code-policy.test'

/** The issue's example policy, verbatim. */
const ISSUE_POLICY = `rules:
  - name: no-rm                 # shown in the audit trail and on the page
    event: PreToolUse           # or PermissionRequest; default PreToolUse
    tool: Bash                  # exact name, glob (mcp__github__*), or /regex/
    match:                      # optional: fields of tool_input, each a glob or a /regex/
      command: "/(^|\\\\s)rm\\\\s/"
    action: deny                # PreToolUse: allow | deny | ask | defer; PermissionRequest: allow | deny
    reason: destructive command
`

/** The example, and a rule for `touch` on markers. */
const DENY_POLICY = `${ISSUE_POLICY}  - name: no-touch-marker
    tool: Bash
    match:
      command: "touch *marker*"
    action: deny
    reason: markers stay untouched here
`

/** The example, and an allow rule for one command. */
const ALLOW_POLICY = `${ISSUE_POLICY}  - name: touch-ok
    tool: Bash
    match:
      command: "touch allowed-marker"
    action: allow
    reason: creating the marker is routine
`

/** The whole run of a scenario, bounded. */
const TEST_TIMEOUT_MS = 150_000

interface AuditLine {
  seq: number
  event: string
  decided_by: string
  action: string
  reason: string
  mode: string
  answer: string
  tool_name: string | null
  tool_use_id: string | null
}

/** A policy file, an audit log and an empty config directory (so the user's own policy is never read). */
function decisionFiles(
  t: TestContext,
  policy: string,
): { policy: string; audit: string; env: Record<string, string> } {
  const dir = tempDir(t, 'obs-ccp-')
  const file = join(dir, 'policy.yaml')
  writeFileSync(file, policy)
  mkdirSync(join(dir, 'config'))
  return {
    policy: file,
    audit: join(dir, 'audit.jsonl'),
    env: { XDG_CONFIG_HOME: join(dir, 'config') },
  }
}

function auditLines(path: string): AuditLine[] {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditLine)
}

/** Bash with `command`. */
function bash(command: string, description: string): ToolCall {
  return { name: 'Bash', input: { command, description } }
}

/** A script for the main agent: `answers` by turn; side requests (no tools) get the default text. */
function byTurn(...answers: ScriptedAnswer[]): Script {
  return (r) => {
    if (r.tools.length === 0 || r.isSubagent) return undefined
    return answers[Math.min(r.turn, answers.length - 1)]
  }
}

/** What the model was told about each call: every tool_result the fake API received, by tool_use_id. */
function toolResults(s: ClaudeSession): Map<string, ToolResult> {
  return new Map(
    s.fake.requests.flatMap((r) => toolResultsOf(r.body)).map((x) => [x.tool_use_id, x]),
  )
}

/** The tool calls Claude Code announced (its PreToolUse events, as the observatory printed them), in order. */
function toolUses(s: ClaudeSession): { id: string; name: string; input: Line }[] {
  const out: { id: string; name: string; input: Line }[] = []
  for (const line of s.lines) {
    if (line._event !== 'PreToolUse') continue
    out.push({
      id: String(line.tool_use_id),
      name: String(line.tool_name),
      input: line.tool_input as Line,
    })
  }
  return out
}

/** `claude -p`'s JSON result, which must be there. */
function resultOf(s: ClaudeSession): Line {
  assert.ok(s.result !== undefined, `claude printed its JSON result\n${s.context()}`)
  return s.result
}

/** The session's detail, over the Unix socket (no TCP guard there). */
async function sessionDetail(obs: Observatory, id: string): Promise<Line> {
  const reply = await request(obs.unix, { path: `/api/sessions/${encodeURIComponent(id)}` })
  assert.equal(reply.status, 200, reply.body)
  return JSON.parse(reply.body) as Line
}

/** `observatory audit verify FILE`: intact on the log, broken on a copy with one reason edited. */
async function verifyAudit(t: TestContext, audit: string): Promise<string> {
  const intact = await runCli(['audit', 'verify', audit])
  assert.equal(intact.code, 0, `audit verify: ${intact.stdout}${intact.stderr}`)
  const lines = readFileSync(audit, 'utf8').split('\n')
  const edited = lines[0]!.replace('"action":"deny"', '"action":"allow"')
  assert.notEqual(edited, lines[0], 'the first line is a deny')
  const copy = join(tempDir(t, 'obs-ccp-tamper-'), 'audit.jsonl')
  writeFileSync(copy, [edited, ...lines.slice(1)].join('\n'))
  const broken = await runCli(['audit', 'verify', copy])
  assert.equal(broken.code, 1, `audit verify on a tampered copy: ${broken.stdout}${broken.stderr}`)
  assert.match(
    `${broken.stdout}${broken.stderr}`,
    /audit\.jsonl:1\b/,
    'names the first broken line',
  )
  return `${intact.stdout.trim()} | tampered: ${(broken.stdout + broken.stderr).trim()}`
}

function run(t: TestContext, options: SessionOptions): Promise<ClaudeSession> {
  return runClaudeSession(t, { required: ['UserPromptSubmit'], ...options })
}

// ---- the scenarios ------------------------------------------------------------------------------------

async function denyScenario(t: TestContext, transport: 'unix' | 'http'): Promise<void> {
  if (skipped(t, transport === 'unix', LABEL)) return
  const files = decisionFiles(t, DENY_POLICY)
  let project = ''
  const s = await run(t, {
    transport,
    prompt: 'clean up, then leave a marker',
    args: ['--allowedTools', 'Bash'],
    serve: ['--policy', files.policy, '--audit', files.audit],
    serveEnv: files.env,
    prepare: (dir) => {
      project = dir
      mkdirSync(join(dir, 'victim'))
      writeFileSync(join(dir, 'victim', 'keep.txt'), 'still here\n')
    },
    script: byTurn(
      toolUse(bash('rm -rf victim', 'Remove the victim directory')),
      toolUse(bash('touch touched-marker', 'Leave a marker')),
      text('both were refused'),
    ),
    required: ['UserPromptSubmit', 'Stop'],
  })
  assert.equal(s.claude.code, 0, s.context())
  // Neither command ran.
  assert.equal(existsSync(join(project, 'victim', 'keep.txt')), true, 'rm -rf did not run')
  assert.equal(existsSync(join(project, 'touched-marker')), false, 'touch did not run')
  assert.equal(s.events.includes('PostToolUse'), false, s.events.join(','))

  // The model was told why, with each rule's reason.
  const calls = toolUses(s)
  assert.deepEqual(
    calls.map((c) => c.input.command),
    ['rm -rf victim', 'touch touched-marker'],
  )
  const results = toolResults(s)
  const rm = results.get(calls[0]!.id)
  const touch = results.get(calls[1]!.id)
  t.diagnostic(`${transport}: rm tool_result: ${JSON.stringify(rm)}`)
  t.diagnostic(`${transport}: touch tool_result: ${JSON.stringify(touch)}`)
  assert.ok(rm?.is_error === true && rm.content.includes('destructive command'), JSON.stringify(rm))
  assert.ok(
    touch?.is_error === true && touch.content.includes('markers stay untouched here'),
    JSON.stringify(touch),
  )

  // The audit log: both denials, with the bodies Claude Code got; the chain verifies, a tampered copy does not.
  const audit = auditLines(files.audit)
  assert.deepEqual(
    audit.map((a) => [a.event, a.decided_by, a.action, a.mode, a.tool_use_id]),
    [
      ['PreToolUse', 'no-rm', 'deny', 'enforce', calls[0]!.id],
      ['PreToolUse', 'no-touch-marker', 'deny', 'enforce', calls[1]!.id],
    ],
  )
  assert.deepEqual(JSON.parse(audit[0]!.answer), {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: 'destructive command',
    },
  })
  t.diagnostic(`${transport}: body sent for rm: ${audit[0]!.answer}`)
  t.diagnostic(`${transport}: ${await verifyAudit(t, files.audit)}`)

  // The session's calls carry the decisions.
  const detail = await sessionDetail(s.obs, String(s.lines[0]!.session_id))
  const decisions = (detail.tool_calls as Line[]).map((c) => c.decision)
  assert.deepEqual(decisions, [
    { action: 'deny', decided_by: 'no-rm', mode: 'enforce', reason: 'destructive command' },
    {
      action: 'deny',
      decided_by: 'no-touch-marker',
      mode: 'enforce',
      reason: 'markers stay untouched here',
    },
  ])
  t.diagnostic(`${transport}: result ${JSON.stringify(resultOf(s).permission_denials)}`)
}

async function allowScenario(t: TestContext): Promise<void> {
  if (skipped(t, true, LABEL)) return
  const files = decisionFiles(t, ALLOW_POLICY)
  let project = ''
  const s = await run(t, {
    prompt: 'leave a marker',
    // Only Read: without the rule, -p would deny Bash (see claude-code-sessions' permission-request).
    args: ['--allowedTools', 'Read'],
    serve: ['--policy', files.policy, '--audit', files.audit],
    serveEnv: files.env,
    prepare: (dir) => {
      project = dir
    },
    script: byTurn(toolUse(bash('touch allowed-marker', 'Leave a marker')), text('marked')),
    required: ['UserPromptSubmit', 'PostToolUse', 'Stop'],
  })
  assert.equal(s.claude.code, 0, s.context())
  assert.equal(existsSync(join(project, 'allowed-marker')), true, 'the command ran')
  assert.equal(s.events.includes('PermissionRequest'), false, 'no permission prompt')
  assert.deepEqual(resultOf(s).permission_denials, [])
  const [call] = toolUses(s)
  const result = toolResults(s).get(call!.id)
  assert.equal(result?.is_error, false, JSON.stringify(result))
  const audit = auditLines(files.audit)
  assert.deepEqual(
    audit.map((a) => [a.event, a.decided_by, a.action, a.mode]),
    [['PreToolUse', 'touch-ok', 'allow', 'enforce']],
  )
  assert.deepEqual(JSON.parse(audit[0]!.answer), {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'allow',
      permissionDecisionReason: 'creating the marker is routine',
    },
  })
  t.diagnostic(`allow: body sent: ${audit[0]!.answer}; tool_result: ${JSON.stringify(result)}`)
}

async function shadowScenario(t: TestContext): Promise<void> {
  if (skipped(t, true, LABEL)) return
  const files = decisionFiles(t, ISSUE_POLICY)
  let project = ''
  const command = 'rm -rf victim && touch shadow-marker'
  const s = await run(t, {
    prompt: 'clean up',
    args: ['--allowedTools', 'Bash'],
    serve: ['--policy', files.policy, '--policy-mode', 'shadow', '--audit', files.audit],
    serveEnv: files.env,
    prepare: (dir) => {
      project = dir
      mkdirSync(join(dir, 'victim'))
    },
    script: byTurn(toolUse(bash(command, 'Clean up and mark')), text('cleaned')),
    required: ['UserPromptSubmit', 'PostToolUse', 'Stop'],
  })
  assert.equal(s.claude.code, 0, s.context())
  // Nothing changed: the command ran.
  assert.equal(existsSync(join(project, 'victim')), false, 'rm ran')
  assert.equal(existsSync(join(project, 'shadow-marker')), true, 'touch ran')
  // …and the decision it would have been is recorded.
  const [call] = toolUses(s)
  const audit = auditLines(files.audit)
  assert.deepEqual(
    audit.map((a) => [a.event, a.decided_by, a.action, a.mode, a.answer, a.tool_use_id]),
    [['PreToolUse', 'no-rm', 'deny', 'shadow', '', call!.id]],
  )
  const detail = await sessionDetail(s.obs, String(s.lines[0]!.session_id))
  const calls = detail.tool_calls as Line[]
  assert.equal(calls.length, 1)
  assert.equal(calls[0]!.outcome, 'ok')
  assert.deepEqual(calls[0]!.decision, {
    action: 'deny',
    decided_by: 'no-rm',
    mode: 'shadow',
    reason: 'destructive command',
  })
}

async function approvalScenario(t: TestContext): Promise<void> {
  if (skipped(t, true, LABEL)) return
  const noBrowser = browserSkip(LABEL, 'the click on Allow (POST /api/approvals/{id} instead)')
  const files = decisionFiles(t, ISSUE_POLICY)
  let project = ''
  let deciding: Promise<string> = Promise.resolve('not started')
  /** Allow the first approval: a click in Chromium, or the API. */
  const decide = async (obs: Observatory): Promise<string> => {
    if (noBrowser === false) {
      const browser = await launchBrowser(t)
      const origin = `http://127.0.0.1:${obs.tcp.port}`
      const w = await watchedPage(browser, origin)
      await w.page.goto(`${origin}/`)
      const card = w.page.locator('.approval[data-state="pending"]')
      await card.waitFor({ timeout: 60_000 })
      assert.equal(await card.locator('.tool').textContent(), 'Bash')
      assert.equal(await card.locator('.approval-summary').textContent(), 'touch approved-marker')
      const left = (await card.locator('.countdown').textContent()) ?? ''
      const session = (await card.locator('[data-fact="session"] a').getAttribute('href')) ?? ''
      await card.locator('button[data-choice="allow"]').click()
      await w.page
        .locator('.approval[data-state="allowed"] .approval-outcome', { hasText: 'allowed by you' })
        .waitFor()
      // The session view: the call, with the person's decision on it.
      await w.page.locator('.approval-facts a').click()
      await w.page.waitForURL(`${origin}${session}`)
      await w.page.locator('.call .decision', { hasText: 'allowed by person' }).waitFor()
      await w.assertClean()
      w.closing()
      return `clicked Allow in Chromium (${left})`
    }
    const deadline = Date.now() + 60_000
    for (;;) {
      const reply = await request(obs.unix, { path: '/api/approvals' })
      const list = (JSON.parse(reply.body) as { approvals: { id: string }[] }).approvals
      if (list.length > 0) {
        const posted = await request(obs.unix, {
          method: 'POST',
          path: `/api/approvals/${list[0]!.id}`,
          body: JSON.stringify({ decision: 'allow' }),
          headers: { 'Content-Type': 'application/json' },
        })
        assert.equal(posted.status, 200, posted.body)
        return 'POST /api/approvals/{id} allow'
      }
      if (Date.now() > deadline) throw new Error('no approval within 60 s')
      await sleep(50)
    }
  }
  const s = await run(t, {
    prompt: 'leave a marker',
    args: ['--allowedTools', 'Read'],
    serve: [
      '--policy',
      files.policy,
      '--audit',
      files.audit,
      '--approve-from-page',
      '--approval-timeout',
      '60s',
    ],
    serveEnv: files.env,
    install: ['--approvals'],
    prepare: (dir) => {
      project = dir
    },
    watch: (obs) => {
      deciding = decide(obs)
      // Reported by the await below; not an unhandled rejection meanwhile.
      deciding.catch(() => {})
    },
    script: byTurn(toolUse(bash('touch approved-marker', 'Leave a marker')), text('marked')),
    required: ['UserPromptSubmit', 'PermissionRequest', 'PostToolUse', 'Stop'],
  })
  t.diagnostic(`approval: ${await deciding}`)
  assert.equal(s.claude.code, 0, s.context())
  assert.equal(existsSync(join(project, 'approved-marker')), true, 'the command ran')
  assert.deepEqual(resultOf(s).permission_denials, [])
  const [call] = toolUses(s)
  const result = toolResults(s).get(call!.id)
  assert.equal(result?.is_error, false, JSON.stringify(result))
  const audit = auditLines(files.audit)
  assert.deepEqual(
    audit.map((a) => [a.event, a.decided_by, a.action, a.mode, a.tool_use_id]),
    [['PermissionRequest', 'person', 'allow', 'enforce', call!.id]],
  )
  // The PermissionRequest (which names no tool_use_id) was linked to its call: the decision is on it.
  const detail = await sessionDetail(s.obs, String(s.lines[0]!.session_id))
  assert.deepEqual(
    (detail.tool_calls as Line[]).map((c) => [c.tool_use_id, c.outcome, c.decision]),
    [
      [
        call!.id,
        'ok',
        {
          action: 'allow',
          decided_by: 'person',
          mode: 'enforce',
          reason: 'allowed from the observatory page',
        },
      ],
    ],
  )
  assert.deepEqual(JSON.parse(audit[0]!.answer), {
    hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } },
  })
  t.diagnostic(`approval: body sent: ${audit[0]!.answer}; tool_result: ${JSON.stringify(result)}`)
  // The installer gave the PermissionRequest hook the longer timeout.
  const settings = JSON.parse(readFileSync(join(project, '.claude/settings.json'), 'utf8'))
  assert.match(
    JSON.stringify(settings.hooks.PermissionRequest),
    /--max-time 75 /,
    'install --approvals: 75 s for PermissionRequest',
  )
}

async function killedScenario(t: TestContext, transport: 'unix' | 'http'): Promise<void> {
  if (skipped(t, transport === 'unix', LABEL)) return
  const files = decisionFiles(t, ISSUE_POLICY)
  let project = ''
  let obs: Observatory | undefined
  let killedAt: string[] = []
  const s = await run(t, {
    transport,
    prompt: 'read the notes, then leave a marker',
    args: ['--allowedTools', 'Read'],
    serve: ['--policy', files.policy, '--audit', files.audit],
    serveEnv: files.env,
    prepare: (dir) => {
      project = dir
      writeFileSync(join(dir, 'notes.txt'), 'kept-notes-4711\n')
    },
    watch: (o) => {
      obs = o
    },
    // Before the first answer that calls a tool: SessionStart and UserPromptSubmit are in, nothing else.
    beforeAnswer: async (r) => {
      if (obs === undefined || !obs.running || r.tools.length === 0 || r.turn !== 0) return
      killedAt = obs.stdoutLines().map((line) => String(JSON.parse(line)._event))
      obs.kill('SIGKILL')
      await obs.exited
    },
    script: (r) => {
      if (r.tools.length === 0 || r.isSubagent) return undefined
      const answers: ScriptedAnswer[] = [
        toolUse({ name: 'Read', input: { file_path: join(project, 'notes.txt') } }),
        toolUse(bash('touch killed-marker', 'Leave a marker')),
        text('carried on'),
      ]
      return answers[Math.min(r.turn, answers.length - 1)]
    },
  })
  assert.deepEqual(await obs!.exited, { code: null, signal: 'SIGKILL' })
  t.diagnostic(`${transport}: events before the kill: ${killedAt.join(', ')}`)
  assert.ok(killedAt.includes('UserPromptSubmit'), `killed after the prompt: ${killedAt}`)
  assert.equal(s.events.includes('PreToolUse'), false, 'no hook reached it after the kill')
  // Claude Code carried on, on its own rules.
  assert.equal(s.claude.code, 0, s.context())
  assert.equal(resultOf(s).result, 'carried on')
  const fakeToolUses = s.fake.requests.flatMap((r) => toolResultsOf(r.body))
  assert.equal(fakeToolUses.length, 2, JSON.stringify(fakeToolUses))
  const [read, touch] = fakeToolUses
  assert.equal(read!.is_error, false, JSON.stringify(read))
  assert.match(read!.content, /kept-notes-4711/, 'Read ran')
  assert.equal(touch!.is_error, true, JSON.stringify(touch))
  assert.equal(existsSync(join(project, 'killed-marker')), false, 'touch was not silently allowed')
  assert.deepEqual(
    (resultOf(s).permission_denials as Line[]).map((d) => d.tool_name),
    ['Bash'],
  )
  t.diagnostic(`${transport}: Bash tool_result: ${JSON.stringify(touch)}`)
  assert.deepEqual(auditLines(files.audit), [], 'nothing was decided')
}

describe('Claude Code under a policy', { concurrency: 4, timeout: 240_000 }, () => {
  test(
    'deny (curl over the Unix socket): rm and touch do not run, the model is told why',
    {
      timeout: TEST_TIMEOUT_MS,
    },
    (t) => denyScenario(t, 'unix'),
  )
  test(
    'deny (http hooks over TCP): rm and touch do not run, the model is told why',
    {
      timeout: TEST_TIMEOUT_MS,
    },
    (t) => denyScenario(t, 'http'),
  )
  test(
    'allow: a PreToolUse allow rule runs a command -p would deny',
    {
      timeout: TEST_TIMEOUT_MS,
    },
    (t) => allowScenario(t),
  )
  test(
    'shadow: the deny rule is recorded, the command runs',
    {
      timeout: TEST_TIMEOUT_MS,
    },
    (t) => shadowScenario(t),
  )
  test(
    'approval from the page: Allow clicked, the waiting command runs',
    {
      timeout: TEST_TIMEOUT_MS,
    },
    (t) => approvalScenario(t),
  )
  test(
    'observatory killed mid-session (Unix socket): Claude Code carries on',
    {
      timeout: TEST_TIMEOUT_MS,
    },
    (t) => killedScenario(t, 'unix'),
  )
  test(
    'observatory killed mid-session (http over TCP): Claude Code carries on',
    {
      timeout: TEST_TIMEOUT_MS,
    },
    (t) => killedScenario(t, 'http'),
  )
})
