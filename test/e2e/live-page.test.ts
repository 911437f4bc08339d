/**
 * The observatory's live page in a real browser (headless Chromium through playwright-core), against the real
 * CLI in a child process: the page connects to /events, hook events posted meanwhile appear as rows (newest
 * first) with their event name, tool and summary, the filter works, and nothing fails (no console error, no CSP
 * violation, no failed request). A screenshot is taken; KEEP_SCREENSHOTS=1 keeps it and prints its path.
 * Skipped, with the reason printed, where /usr/bin/chromium is absent.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { postEvent, startCli } from '../observatory/helpers.ts'
import { browserSkip, launchBrowser } from './browser.ts'

const skip = browserSkip('live-page', 'the live page')

test('the live page shows hook events as they arrive', { skip, timeout: 180_000 }, async (t) => {
  const obs = await startCli(t, ['--port', '0', '--quiet'])
  const origin = `http://127.0.0.1:${obs.tcp.port}`

  const browser = await launchBrowser(t)
  // Reduced motion: rows do not flash, so the screenshot shows them as they stay.
  const page = await browser.newPage({
    viewport: { width: 1280, height: 640 },
    reducedMotion: 'reduce',
  })
  page.setDefaultTimeout(30_000)

  const foreign: string[] = []
  const failed: string[] = []
  const problems: string[] = []
  let closing = false
  page.on('request', (request) => {
    if (!request.url().startsWith(`${origin}/`)) foreign.push(request.url())
  })
  page.on('requestfailed', (request) => {
    if (!closing) failed.push(`${request.url()}: ${request.failure()?.errorText}`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.url()}: HTTP ${response.status()}`)
  })
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))

  const response = await page.goto(`${origin}/`)
  assert.equal(response?.status(), 200)
  assert.equal(await page.title(), 'Claude Code hooks observatory')
  await page.locator('#status.live').waitFor()
  assert.equal(await page.locator('#empty').isVisible(), true, 'the empty-state hint is shown')

  const session = 'a1b2c3d4-0000-4000-8000-123456789abc'
  const long = `grep -rn ${'pattern-'.repeat(50)} src`
  const events: [event: string, payload: unknown][] = [
    ['SessionStart', { session_id: session, source: 'startup' }],
    ['UserPromptSubmit', { session_id: session, prompt: 'Explain this repository ✓ 😀' }],
    [
      'PreToolUse',
      { session_id: session, tool_name: 'Bash', tool_input: { command: 'ls -la /tmp' } },
    ],
    [
      'PostToolUse',
      { session_id: session, tool_name: 'Read', tool_input: { file_path: '/etc/hosts' } },
    ],
    ['PreToolUse', { session_id: session, tool_name: 'Bash', tool_input: { command: long } }],
    ['Notification', { session_id: session, message: 'Claude needs your permission to use Bash' }],
    ['Unparsed', 'this is <b>not</b> JSON'],
    ['Stop', { session_id: session, stop_hook_active: false }],
  ]
  for (const [event, payload] of events) {
    assert.equal((await postEvent({ port: obs.tcp.port }, event, payload)).status, 200)
  }

  const rows = page.locator('#events tr')
  await rows.nth(events.length - 1).waitFor()
  assert.equal(await rows.count(), events.length, 'one row per event')
  assert.equal(await page.locator('#count').textContent(), `${events.length} events`)
  assert.equal(await page.locator('#empty').isVisible(), false, 'the hint is gone')

  const table: string[][] = []
  for (let i = 0; i < events.length; i++)
    table.push(await rows.nth(i).locator('td').allTextContents())
  // Newest first: time, event, session (first 8 characters), tool, summary.
  const expected = [
    ['Stop', 'a1b2c3d4', '', ''],
    ['Unparsed', '', '', 'this is <b>not</b> JSON'],
    ['Notification', 'a1b2c3d4', '', 'Claude needs your permission to use Bash'],
    ['PreToolUse', 'a1b2c3d4', 'Bash', long.slice(0, 300)],
    ['PostToolUse', 'a1b2c3d4', 'Read', '/etc/hosts'],
    ['PreToolUse', 'a1b2c3d4', 'Bash', 'ls -la /tmp'],
    ['UserPromptSubmit', 'a1b2c3d4', '', 'Explain this repository ✓ 😀'],
    ['SessionStart', 'a1b2c3d4', '', ''],
  ]
  assert.deepEqual(
    table.map((cells) => cells.slice(1)),
    expected,
  )
  for (const cells of table) assert.match(cells[0]!, /^\d\d:\d\d:\d\d$/, 'time of day, UTC')
  // Text from payloads is shown as text, never parsed as HTML.
  assert.equal(await page.locator('#events b').count(), 0)
  // Event names get their colour class.
  assert.equal(await page.locator('#events td.ev-PreToolUse').count(), 2)

  const dir = mkdtempSync(join(tmpdir(), 'live-page-'))
  if (process.env.KEEP_SCREENSHOTS !== '1')
    t.after(() => rmSync(dir, { recursive: true, force: true }))
  await page.screenshot({ path: join(dir, 'live.png') })

  // The filter hides the rows that do not match, and brings them back when cleared.
  await page.locator('#filter').fill('bash')
  const visible = () => page.locator('#events tr:visible').count()
  assert.equal(await visible(), 3, 'the two Bash rows and the Notification mentioning Bash')
  await page.locator('#filter').fill('')
  assert.equal(await visible(), events.length)

  // Pause holds new events back; resume shows them.
  await page.locator('#pause').click()
  await postEvent({ port: obs.tcp.port }, 'SessionEnd', { session_id: session, reason: 'exit' })
  await page.locator('#pause', { hasText: 'Resume (1)' }).waitFor()
  assert.equal(await rows.count(), events.length)
  await page.locator('#pause').click()
  await rows.nth(events.length).waitFor()
  assert.equal(await rows.count(), events.length + 1)
  assert.equal(await rows.first().locator('td').nth(4).textContent(), 'exit')

  await page.screenshot({ path: join(dir, 'resumed.png') })
  if (process.env.KEEP_SCREENSHOTS === '1')
    t.diagnostic(`screenshots: ${dir}/live.png, ${dir}/resumed.png`)
  assert.deepEqual(foreign, [], 'no request leaves the observatory')
  assert.equal(await page.locator('link[rel=icon]').getAttribute('href'), '/favicon.svg')
  assert.deepEqual(failed, [], 'no request failed')
  assert.deepEqual(problems, [], 'no console error (CSP violations included) and no page error')

  // Stopping the observatory ends the stream; the page says so rather than failing silently.
  closing = true
  await obs.stopCleanly()
  await page.locator('#status:not(.live)').waitFor()
})
