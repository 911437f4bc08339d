/**
 * A real Claude Code session on the dashboard, with its cost: `claude -p` (the real CLI, against the fake Messages
 * API, which reports token usage) sends its hooks and its OpenTelemetry (`http/protobuf`, the CLI's default) to one
 * observatory; the session view in headless Chromium then shows the turn's cost, equal to the CLI's own
 * `total_cost_usd`, and its tokens, next to the turn's Bash call. Skipped, with the reason printed, where
 * /usr/bin/chromium or the `claude` CLI is absent. KEEP_SCREENSHOTS=1 keeps the screenshot and prints where.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { type Line, runClaudeSession, skipped } from '../observatory/claude-code-harness.ts'
import { request } from '../observatory/helpers.ts'
import { browserSkip, launchBrowser } from './browser.ts'
import { waitInPage, watchedPage } from './dashboard-page.ts'

const LABEL = 'dashboard-claude-code'
const skip = browserSkip(LABEL, 'a real Claude Code session on the dashboard')

/** The page's money format (web/format.ts `money`) for the amounts a short session costs. */
function money(usd: number): string {
  return usd < 0.0001 ? '<$0.0001' : `$${usd.toFixed(4)}`
}

test('a real Claude Code session: the turn’s cost and tokens next to its tool call', {
  skip,
  timeout: 240_000,
}, async (t) => {
  if (skipped(t, true, LABEL)) return
  const s = await runClaudeSession(t, {
    prompt: 'Say hello with bash',
    args: ['--allowedTools', 'Bash'],
    required: ['Stop'],
    claudeEnv: (obs) => ({
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${obs.tcp.port}`,
    }),
  })
  assert.equal(s.claude.code, 0, s.context())
  const cost = s.result?.total_cost_usd
  assert.equal(typeof cost, 'number', s.context())
  const id = String(s.lines[0]!.session_id)

  // The telemetry is flushed before the CLI exits; waited for, bounded.
  for (let i = 0; ; i++) {
    const reply = await request(s.obs.unix, { path: '/api/sessions' })
    const sessions = (JSON.parse(reply.body) as { sessions: Line[] }).sessions
    if (sessions.find((x) => x.session_id === id)?.usage) break
    assert.ok(i < 100, `no telemetry for ${id} within 10 s\n${s.context()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  const browser = await launchBrowser(t)
  const w = await watchedPage(browser, `http://127.0.0.1:${s.obs.tcp.port}`)
  const page = w.page
  await page.goto(`http://127.0.0.1:${s.obs.tcp.port}/sessions/${encodeURIComponent(id)}`)
  await page.locator('.turn').first().waitFor()
  await waitInPage(page, `document.querySelectorAll('.turn .turn-usage').length === 1`)
  const turn = page.locator('.turn').first()
  const usage = await turn.locator('.turn-usage > span').allTextContents()
  t.diagnostic(`turn usage on the page: ${JSON.stringify(usage)}; total_cost_usd ${String(cost)}`)
  assert.equal(usage[0], money(cost as number), 'the turn’s cost is the CLI’s own')
  assert.match(usage[1] ?? '', /^in \d/, 'its tokens')
  assert.match(usage[2] ?? '', /^2 API requests$/, 'the tool_use, then the answer')
  const call = turn.locator('.call').first()
  assert.equal(await call.isVisible(), true, 'the call is in the same turn')
  assert.match((await call.textContent()) ?? '', /Bash/)

  const dir = mkdtempSync(join(tmpdir(), 'dashboard-claude-code-'))
  if (process.env.KEEP_SCREENSHOTS === '1') t.diagnostic(`screenshot: ${dir}/session.png`)
  else t.after(() => rmSync(dir, { recursive: true, force: true }))
  await page.screenshot({ path: join(dir, 'session.png'), fullPage: true })
  await w.assertClean()
})
