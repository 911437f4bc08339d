/**
 * The dashboard's approvals in a real browser (headless Chromium through playwright-core), against the real CLI
 * (`serve --approve-from-page --approval-timeout 30s --policy FILE`) in a child process:
 *
 * - a PermissionRequest sent as raw HTTP waits; the board's panel shows it on two pages at once (tool, the whole
 *   input as text, session and project, directory, permission mode, agent, a countdown that goes down), and the
 *   header's badge counts it; a click on Allow on one page answers the waiting request with the allow body, and
 *   the other page sees it end ("allowed on another page") and go;
 * - Deny with a message: the deny body carries the message; a long input is folded, and unfolds;
 * - Allow for this session: the request is allowed, and the next one of the same session and tool is answered at
 *   once, without reaching the page;
 * - a notification for an arriving approval when Notify me is on;
 * - decisions on the session view's tool calls: "denied by rule no-rm" (a PreToolUse the policy denied), "allowed
 *   by person" (the PermissionRequest allowed from the page);
 * - a broken edit of the policy file: the warning banner, on every view;
 * - payloads as text, and nothing fails: no console error, no CSP violation, no failed request, no request that
 *   leaves the origin.
 * Skipped, with the reason printed, where /usr/bin/chromium is absent.
 */
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  hookBytes,
  postEvent,
  RawHttp,
  type RawReply,
  request,
  sleep,
  startCli,
  tempDir,
  WAIT_MS,
} from '../observatory/helpers.ts'
import { browserSkip, launchBrowser } from './browser.ts'
import { waitInPage, watchedPage } from './dashboard-page.ts'

const skip = browserSkip('dashboard-approvals', 'the approvals panel')

const SESSION = 'c0ffee00-0000-4000-8000-00000000a001'
const CWD = '/work/shop'
const XSS = '<img src=x onerror="window.__xss=1">'

const POLICY = `rules:
  - name: no-rm                 # shown in the audit trail and on the page
    event: PreToolUse           # or PermissionRequest; default PreToolUse
    tool: Bash                  # exact name, glob (mcp__github__*), or /regex/
    match:                      # optional: fields of tool_input, each a glob or a /regex/
      command: "/(^|\\\\s)rm\\\\s/"
    action: deny                # PreToolUse: allow | deny | ask | defer; PermissionRequest: allow | deny
    reason: destructive command
`

interface PermissionOutput {
  hookSpecificOutput: {
    hookEventName: string
    decision: { behavior: string; message?: string }
  }
}

test('the approvals panel: show, count down, allow, deny with a message, allow for the session', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t, 'obs-appr-')
  const policyFile = join(dir, 'policy.yaml')
  writeFileSync(policyFile, POLICY)
  mkdirSync(join(dir, 'config'))
  const obs = await startCli(
    t,
    [
      '--port',
      '0',
      '--quiet',
      '--db',
      join(dir, 'events.db'),
      '--audit',
      join(dir, 'audit.jsonl'),
      '--policy',
      policyFile,
      '--approve-from-page',
      '--approval-timeout',
      '30s',
    ],
    // The user's own policy file is never read.
    { env: { XDG_CONFIG_HOME: join(dir, 'config') } },
  )
  const target = obs.tcp
  const origin = `http://127.0.0.1:${target.port}`
  const base = { session_id: SESSION, cwd: CWD, permission_mode: 'default' }
  const post = async (event: string, payload: unknown): Promise<string> => {
    const reply = await postEvent(target, event, payload)
    assert.equal(reply.status, 200, event)
    return reply.body
  }
  /** A PermissionRequest as raw HTTP on a connection of its own; the reply comes when someone decides. */
  const ask = async (input: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const client = await RawHttp.connect(target)
    t.after(() => client.close())
    const body = JSON.stringify({
      ...base,
      hook_event_name: 'PermissionRequest',
      tool_name: 'Bash',
      tool_input: input,
      ...extra,
    })
    const started = Date.now()
    const reply = client.send(hookBytes('PermissionRequest', body))
    let settled: RawReply | undefined
    void reply.then((r) => {
      settled = r
    })
    return {
      /** The reply, within `ms`. */
      reply: async (ms = WAIT_MS): Promise<{ reply: RawReply; after: number }> => {
        const r = await Promise.race([
          reply,
          sleep(ms).then(() => {
            throw new Error(`no reply to the PermissionRequest within ${ms} ms`)
          }),
        ])
        return { reply: r, after: Date.now() - started }
      },
      get answered() {
        return settled !== undefined
      },
    }
  }
  const decisionOf = (reply: RawReply): PermissionOutput['hookSpecificOutput']['decision'] => {
    assert.equal(reply.status, 200)
    const body = JSON.parse(reply.body.toString('utf8')) as PermissionOutput
    assert.equal(body.hookSpecificOutput.hookEventName, 'PermissionRequest')
    return body.hookSpecificOutput.decision
  }

  await post('SessionStart', { ...base, source: 'startup', model: 'claude-test-1' })
  await post('UserPromptSubmit', { ...base, prompt_id: 'p1', prompt: 'run the tests' })

  const browser = await launchBrowser(t)
  const one = await watchedPage(browser, origin)
  const two = await watchedPage(browser, origin)
  const page = one.page
  const other = two.page
  // Headless Chromium shows no notifications: a stand-in records what the page asks to show.
  await page.addInitScript(`
    window.__notes = []
    window.Notification = class {
      static permission = 'default'
      static requestPermission() {
        this.permission = 'granted'
        return Promise.resolve('granted')
      }
      constructor(title, options) { window.__notes.push(title + ' | ' + options.body + ' | ' + options.tag) }
      close() {}
    }
  `)
  for (const p of [page, other]) {
    const response = await p.goto(`${origin}/`)
    assert.equal(response?.status(), 200)
    await p.locator('#status.live').waitFor()
    // Approvals are on, nothing waits yet.
    await p.locator('#approvals .approvals-empty', { hasText: 'No approval waiting.' }).waitFor()
    assert.equal(await p.locator('#approvals-badge').isHidden(), true)
  }
  assert.match(
    (await page.locator('#approvals .policy-line').textContent()) ?? '',
    /wait here for 30 s; then Claude Code asks in the terminal\. Policy: 1 rule, enforced\./,
  )
  await page.locator('#notify', { hasText: 'Notify me' }).click()
  await page.locator('#notify', { hasText: 'Notifications on' }).waitFor()

  // 1. A call no rule decides: PreToolUse (no decision), then its PermissionRequest waits for a person.
  const command = `npm test -- --grep '${XSS}'`
  assert.equal(
    await post('PreToolUse', {
      ...base,
      prompt_id: 'p1',
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command, description: 'Run the tests' },
      tool_use_id: 'toolu_allow',
    }),
    '',
    'no rule: no decision',
  )
  const first = await ask({ command, description: 'Run the tests' }, { prompt_id: 'p1' })
  const card = (p: typeof page) => p.locator('.approval[data-state="pending"]')
  for (const p of [page, other]) {
    await card(p).waitFor()
    assert.equal(await card(p).count(), 1)
    assert.equal(await p.locator('#approvals-badge').textContent(), '1 waiting for approval')
  }
  const c = card(page)
  assert.equal(await c.locator('.tool').textContent(), 'Bash')
  assert.equal(await c.locator('.approval-summary').textContent(), command)
  assert.equal(
    await c.locator('.input-field[data-key="command"] .input-value').textContent(),
    command,
    'the whole input, as text',
  )
  assert.equal(
    await c.locator('.input-field[data-key="description"] .input-value').textContent(),
    'Run the tests',
  )
  assert.equal(await c.locator('.approval-input.folded').count(), 0, 'short: not folded')
  assert.equal(await c.locator('[data-fact="session"] a').textContent(), 'shop · c0ffee00')
  assert.equal(
    await c.locator('[data-fact="session"] a').getAttribute('href'),
    `/sessions/${SESSION}`,
  )
  assert.equal(await c.locator('[data-fact="directory"] code').textContent(), CWD)
  assert.equal(
    await c.locator('[data-fact="permission mode"]').textContent(),
    'permission mode default',
  )
  assert.equal(await c.locator('[data-fact="agent"]').textContent(), 'agent main agent')
  assert.equal(await page.locator('main img, main script').count(), 0, 'no element from a payload')

  // The countdown goes down, from at most 30 s.
  const secondsLeft = async (): Promise<number> => {
    const text = (await c.locator('.countdown').textContent()) ?? ''
    const match = /^(\d+) s left$/.exec(text)
    assert.ok(match, `a countdown: ${text}`)
    return Number(match[1])
  }
  const before = await secondsLeft()
  assert.ok(before <= 30 && before >= 20, `30 s at most, and not long ago: ${before}`)
  await sleep(2_100)
  const after = await secondsLeft()
  assert.ok(after <= before - 1 && after >= before - 4, `counted down: ${before} → ${after}`)
  assert.equal(first.answered, false, 'still waiting')

  // The notification: the approval, with its call, tagged with the session (one per session).
  await waitInPage(page, 'window.__notes.length >= 1')
  assert.deepEqual(await page.evaluate('window.__notes'), [
    `Approval: Bash | shop: ${command} | ${SESSION}`,
  ])

  // Allow on the first page: the waiting request gets the allow body; the other page sees who decided.
  await c.locator('button[data-choice="allow"]').click()
  const allowed = await first.reply(5_000)
  assert.deepEqual(decisionOf(allowed.reply), { behavior: 'allow' })
  await page
    .locator('.approval[data-state="allowed"] .approval-outcome', { hasText: 'allowed by you' })
    .waitFor()
  await other
    .locator('.approval[data-state="allowed"] .approval-outcome', {
      hasText: 'allowed on another page',
    })
    .waitFor()
  for (const p of [page, other]) {
    assert.equal(await card(p).count(), 0)
    await p.locator('#approvals-badge').waitFor({ state: 'hidden' })
  }
  // …and then it goes.
  await other.locator('.approval').waitFor({ state: 'detached', timeout: 15_000 })

  // 2. Deny with a message, from the second page; a long input is folded.
  const script = Array.from({ length: 40 }, (_, i) => `echo step ${i + 1}`).join('\n')
  const second = await ask({ command: script })
  const c2 = card(other)
  await c2.waitFor()
  await card(page).waitFor()
  assert.equal(await c2.locator('.approval-input.folded').count(), 1, 'long: folded')
  await c2.locator('.fold', { hasText: /^Show all \(40 lines, / }).click()
  assert.equal(await c2.locator('.approval-input.folded').count(), 0)
  assert.equal(await c2.locator('.input-value').textContent(), script, 'its lines, as they are')
  await c2.locator('.approval-message').fill('not now: <b>the build is broken</b>')
  await c2.locator('button[data-choice="deny"]').click()
  const denied = await second.reply(5_000)
  assert.deepEqual(decisionOf(denied.reply), {
    behavior: 'deny',
    message: 'not now: <b>the build is broken</b>',
  })
  await page
    .locator('.approval[data-state="denied"] .approval-outcome', {
      hasText: 'denied on another page: not now: <b>the build is broken</b>',
    })
    .waitFor()
  await other
    .locator('.approval[data-state="denied"] .approval-outcome', { hasText: 'denied by you' })
    .waitFor()

  // 3. Allow for this session: this one, and the next Bash request of the session at once.
  const third = await ask({ command: 'npm run lint' })
  await card(page).waitFor()
  await card(page).locator('button[data-choice="allow-session"]').click()
  assert.deepEqual(decisionOf((await third.reply(5_000)).reply), { behavior: 'allow' })
  const fourth = await ask({ command: 'npm run build' })
  const granted = await fourth.reply(5_000)
  assert.deepEqual(decisionOf(granted.reply), { behavior: 'allow' })
  assert.ok(granted.after < 2_000, `answered at once (${granted.after} ms)`)
  await page
    .locator('.approval .approval-outcome', { hasText: 'allowed for this session by you' })
    .waitFor()
  assert.equal(await card(page).count(), 0, 'the granted one never waited on the page')

  // 4. A PreToolUse the policy denies, and the decisions on the session's tool calls.
  const rm = await post('PreToolUse', {
    ...base,
    prompt_id: 'p1',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'rm -rf build' },
    tool_use_id: 'toolu_rm',
  })
  assert.deepEqual(JSON.parse(rm), {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: 'destructive command',
    },
  })
  await page.goto(`${origin}/sessions/${SESSION}`)
  const decision = (id: string) => page.locator(`.call[data-tool-use-id="${id}"] .decision`)
  await decision('toolu_rm').waitFor()
  assert.equal(await decision('toolu_rm').textContent(), 'denied by rule no-rm')
  assert.equal(await decision('toolu_rm').getAttribute('title'), 'destructive command')
  await decision('toolu_allow').waitFor()
  assert.equal(await decision('toolu_allow').textContent(), 'allowed by person')
  // The header's badge is on every view. (Bash is allowed for the session now: another tool.)
  const fifth = await ask({ url: 'https://example.com/' }, { tool_name: 'WebFetch' })
  await page.locator('#approvals-badge', { hasText: '1 waiting for approval' }).waitFor()
  await page.locator('#approvals-badge').click()
  await page.waitForURL(`${origin}/`)
  await card(page).locator('button[data-choice="deny"]').click()
  assert.deepEqual(decisionOf((await fifth.reply(5_000)).reply), {
    behavior: 'deny',
    message: 'denied from the observatory page',
  })

  // 5. A broken edit of the policy: the last good policy stays, and the page says so.
  writeFileSync(policyFile, `${POLICY}  - name: [broken\n`)
  let error: string | null = null
  const deadline = Date.now() + WAIT_MS
  while (error === null && Date.now() < deadline) {
    const reply = await request(target, { path: '/api/policy' })
    error = (JSON.parse(reply.body) as { error: string | null }).error
    if (error === null) await sleep(50)
  }
  assert.ok(error !== null, 'GET /api/policy has the error')
  await page.reload()
  const warning = page.locator('#policy-warning')
  await warning.waitFor()
  assert.match(
    (await warning.textContent()) ?? '',
    /^The policy could not be reloaded: .+ — the last good policy \(1 rule\) stays in force\.$/s,
  )
  await page.goto(`${origin}/stream`)
  await warning.waitFor()

  assert.equal(await page.evaluate('window.__xss'), undefined)
  assert.equal(await other.evaluate('window.__xss'), undefined)
  await one.assertClean()
  await two.assertClean()
  one.closing()
  two.closing()
  await obs.stopCleanly()
})

test('an approval nobody decides: the countdown runs out, the request gets no decision', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const dir = tempDir(t, 'obs-appr-')
  mkdirSync(join(dir, 'config'))
  const obs = await startCli(
    t,
    [
      '--port',
      '0',
      '--quiet',
      '--db',
      join(dir, 'events.db'),
      '--audit',
      join(dir, 'audit.jsonl'),
      '--approve-from-page',
      '--approval-timeout',
      '3s',
    ],
    { env: { XDG_CONFIG_HOME: join(dir, 'config') } },
  )
  const target = obs.tcp
  const origin = `http://127.0.0.1:${target.port}`
  const browser = await launchBrowser(t)
  const w = await watchedPage(browser, origin)
  const page = w.page
  await page.goto(`${origin}/`)
  await page.locator('#status.live').waitFor()
  await page.locator('#approvals .approvals-empty').waitFor()
  assert.match(
    (await page.locator('#approvals .policy-line').textContent()) ?? '',
    /wait here for 3 s; .* No policy file\.$/,
  )

  const client = await RawHttp.connect(target)
  t.after(() => client.close())
  const started = Date.now()
  const reply = client.send(
    hookBytes(
      'PermissionRequest',
      JSON.stringify({
        session_id: SESSION,
        cwd: CWD,
        permission_mode: 'acceptEdits',
        hook_event_name: 'PermissionRequest',
        agent_id: 'agent-7f3a9c',
        agent_type: 'general-purpose',
        tool_name: 'Write',
        tool_input: { file_path: `${CWD}/notes.md`, content: XSS },
      }),
    ),
  )
  const card = page.locator('.approval')
  await card.waitFor()
  assert.match((await card.locator('.countdown').textContent()) ?? '', /^[1-3] s left$/)
  assert.equal(await card.locator('[data-fact="agent"]').textContent(), 'agent subagent agent-7f')
  assert.equal(
    await card.locator('[data-fact="permission mode"]').textContent(),
    'permission mode acceptEdits',
  )
  assert.equal(
    await card.locator('.input-field[data-key="content"] .input-value').textContent(),
    XSS,
  )
  assert.equal(await page.locator('main img').count(), 0, 'the payload is text')
  // Nobody decides: no decision (Claude Code asks in the terminal), and the page says so.
  const answer = await Promise.race([
    reply,
    sleep(10_000).then(() => {
      throw new Error('no answer after the approval timeout')
    }),
  ])
  assert.equal(answer.status, 200)
  assert.equal(answer.body.length, 0, 'no decision: the empty body')
  const waited = Date.now() - started
  assert.ok(waited >= 2_900 && waited < 6_000, `answered at the deadline (${waited} ms)`)
  await page
    .locator('.approval[data-state="expired"] .approval-outcome', {
      hasText: 'expired: nobody decided in time, Claude Code asks in the terminal',
    })
    .waitFor()
  assert.equal(await page.locator('.approval-actions').count(), 0, 'nothing left to click')
  assert.equal(await page.evaluate('window.__xss'), undefined)
  await w.assertClean()
  w.closing()
  await obs.stopCleanly()
})
