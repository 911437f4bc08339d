/**
 * Cost and tokens on the dashboard, in a real browser (headless Chromium through playwright-core) against the real
 * CLI with its own store: hook events for two sessions, then Claude Code's telemetry (OTLP JSON
 * `claude_code.api_request` log records on `POST /v1/logs`) for one of them. Before the telemetry, the charts
 * view says it is not configured and how to turn it on; once it arrives, the charts view shows (on its next
 * refresh) the cost per day, the tokens by model and the API latency; the board's card of the session shows its
 * cost and tokens (the other card none); the session view shows the totals in its head and each turn's cost,
 * tokens, requests and API time. Nothing fails (no console error, CSP violation, failed or foreign request).
 * KEEP_SCREENSHOTS=1 keeps the screenshots and prints where. Skipped, with the reason printed, where
 * /usr/bin/chromium is absent.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { postEvent, request, startCli, tempDir } from '../observatory/helpers.ts'
import { apiRequestLogBody } from '../observatory/usage-logs.ts'
import { browserSkip, launchBrowser } from './browser.ts'
import { waitInPage, watchedPage } from './dashboard-page.ts'

const skip = browserSkip('dashboard-usage', 'cost and tokens on the dashboard')

const COSTLY = 'c0571234-0000-4000-8000-0000000000aa'
const PLAIN = 'c0575678-0000-4000-8000-0000000000bb'

test('the dashboard: cost and tokens on the board, per turn, and in the charts', {
  skip,
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir(t)
  const obs = await startCli(t, ['--port', '0', '--db', join(dir, 'o.db'), '--quiet'])
  const target = obs.tcp
  const origin = `http://127.0.0.1:${target.port}`
  const post = async (event: string, payload: unknown): Promise<void> => {
    assert.equal((await postEvent(target, event, payload)).status, 200, event)
  }

  const costly = { session_id: COSTLY, cwd: '/work/costly', permission_mode: 'default' }
  await post('SessionStart', { ...costly, source: 'startup', model: 'claude-sonnet-4-5' })
  for (const [prompt, text, tool, input] of [
    ['p1', 'find the failing test', 'Bash', { command: 'npm test' }],
    ['p2', 'read the config', 'Read', { file_path: '/work/costly/config.json' }],
  ] as const) {
    await post('UserPromptSubmit', { ...costly, prompt_id: prompt, prompt: text })
    const call = { ...costly, prompt_id: prompt, tool_name: tool, tool_input: input }
    await post('PreToolUse', { ...call, tool_use_id: `toolu_${prompt}` })
    await post('PostToolUse', { ...call, tool_use_id: `toolu_${prompt}`, tool_response: 'ok' })
    await post('Stop', { ...costly, prompt_id: prompt, stop_hook_active: false })
  }
  const plain = { session_id: PLAIN, cwd: '/work/plain' }
  await post('SessionStart', { ...plain, source: 'startup' })
  await post('UserPromptSubmit', { ...plain, prompt_id: 'q1', prompt: 'no telemetry here' })

  const browser = await launchBrowser(t)
  const w = await watchedPage(browser, origin)
  const page = w.page
  const screenshots = mkdtempSync(join(tmpdir(), 'dashboard-usage-'))
  if (process.env.KEEP_SCREENSHOTS !== '1') {
    t.after(() => rmSync(screenshots, { recursive: true, force: true }))
  }

  // Before any telemetry: no cost on the cards, and the charts say how to turn it on.
  await page.goto(`${origin}/`)
  await page.locator(`.card[data-session-id="${COSTLY}"]`).waitFor()
  assert.equal(await page.locator('.card-usage').count(), 0, 'no usage, no usage line')
  await page.locator('nav a[data-view="charts"]').click()
  const empty = page.locator('#usage-empty')
  await empty.waitFor()
  const help = (await empty.textContent()) ?? ''
  assert.match(help, /No API request reported in the last 30 days/)
  assert.match(help, /observatory install --telemetry/)
  assert.match(help, new RegExp(`OTEL_EXPORTER_OTLP_ENDPOINT=${origin.replace(/\./g, '\\.')}`))
  assert.equal(await page.locator('.usage-panels').isVisible(), false)

  // The telemetry: two requests in turn p1 (Sonnet), one in p2 (Haiku); a minute ago.
  const at = Date.now() - 60_000
  const logs = apiRequestLogBody([
    {
      ts: at,
      session: COSTLY,
      prompt: 'p1',
      cost: 0.004,
      input: 1000,
      output: 200,
      cacheRead: 5000,
      cacheCreation: 300,
      durationMs: 1200,
    },
    {
      ts: at + 1000,
      session: COSTLY,
      prompt: 'p1',
      cost: 0.0083,
      input: 500,
      output: 100,
      cacheRead: 5000,
      durationMs: 800,
    },
    {
      ts: at + 2000,
      session: COSTLY,
      prompt: 'p2',
      model: 'claude-haiku-4-5',
      cost: 0.0011,
      input: 230,
      output: 50,
      durationMs: 400,
    },
  ])
  const posted = await request(target, {
    method: 'POST',
    path: '/v1/logs',
    body: logs,
    headers: { 'Content-Type': 'application/json' },
  })
  assert.equal(posted.status, 200, posted.body)

  // The charts view picks it up on its next refresh (every 10 s).
  await page.locator('.usage-panels:not([hidden])').waitFor({ timeout: 30_000 })
  assert.equal(await empty.count(), 0, 'the help is gone')
  assert.equal(
    await page.locator('#usage-total').textContent(),
    '· $0.0134 · 12.4k tokens · 3 API requests',
  )
  const rows = page.locator('.usage-table tbody tr')
  assert.equal(await rows.count(), 2)
  const cells = async (i: number): Promise<string[]> =>
    (await rows.nth(i).locator('th, td').allTextContents()).map((s) => s.trim())
  assert.deepEqual(await cells(0), [
    'claude-sonnet-4-5',
    '2',
    '1.5k',
    '300',
    '10k',
    '300',
    '$0.0123',
    '800 ms / 1.2 s',
  ])
  assert.deepEqual(await cells(1), [
    'claude-haiku-4-5',
    '1',
    '230',
    '50',
    '0',
    '0',
    '$0.0011',
    '400 ms / 400 ms',
  ])
  const figure = (key: string) =>
    page.locator(`.figure[data-figure="${key}"] .figure-value`).textContent()
  assert.equal(await figure('p50'), '800 ms')
  assert.equal(await figure('p95'), '1.2 s')
  assert.equal(await figure('p99'), '1.2 s')
  assert.equal(await figure('max'), '1.2 s')
  // The cost chart drew its bars (a canvas with a legend naming the series).
  await page.locator('.chart-cost canvas').waitFor()
  assert.match((await page.locator('.chart-cost .u-legend').textContent()) ?? '', /cost/)
  await page.screenshot({ path: join(screenshots, 'charts.png'), fullPage: true })

  // The board: the costly session's card says its cost and tokens; the other card nothing.
  await page.locator('nav a[data-view="board"]').click()
  const card = page.locator(`.card[data-session-id="${COSTLY}"]`)
  await card.locator('.card-usage').waitFor()
  assert.equal(await card.locator('.card-usage .usage-cost').textContent(), '$0.0134')
  assert.equal(await card.locator('.card-usage .usage-tokens').textContent(), '12.4k tok')
  assert.match(
    (await card.locator('.card-usage').getAttribute('title')) ?? '',
    /^\$0\.0134 over 3 API requests: 1,730 input, 350 output, 10,000 cache read, 300 cache write tokens/,
  )
  assert.equal(
    await page.locator(`.card[data-session-id="${PLAIN}"] .card-usage`).count(),
    0,
    'a session without telemetry shows no cost',
  )
  await page.screenshot({ path: join(screenshots, 'board.png') })

  // The session view: the totals in the head, each turn's usage next to its calls.
  await card.click()
  await page.locator('.turn').first().waitFor()
  await waitInPage(page, `document.querySelectorAll('.turn .turn-usage').length === 2`)
  const head = page.locator('.session-head')
  assert.equal(
    await head.locator('.session-usage').textContent(),
    '$0.0134 · 3 API requests · API 2.4 s',
  )
  assert.equal(
    await head.locator('.usage-tokens').textContent(),
    '12.4k · in 1.7k · out 350 · cache 10k read, 300 write',
  )
  assert.match((await head.textContent()) ?? '', /modelsclaude-haiku-4-5, claude-sonnet-4-5/)
  const turnUsage = async (i: number): Promise<string[]> =>
    page.locator('.turn').nth(i).locator('.turn-usage > span').allTextContents()
  assert.deepEqual(await turnUsage(0), [
    '$0.0123',
    'in 1.5k · out 300 · cache 10k read, 300 write',
    '2 API requests',
    'API 2.0 s',
  ])
  assert.deepEqual(await turnUsage(1), [
    '$0.0011',
    'in 230 · out 50',
    '1 API request',
    'API 400 ms',
  ])
  // Next to the turn's tool calls.
  assert.equal(
    await page.locator('.turn').nth(0).locator('.call[data-tool-use-id="toolu_p1"]').count(),
    1,
  )
  assert.equal(
    await page.locator('.turn').nth(1).locator('.call[data-tool-use-id="toolu_p2"]').count(),
    1,
  )
  await page.screenshot({ path: join(screenshots, 'session.png'), fullPage: true })
  if (process.env.KEEP_SCREENSHOTS === '1') t.diagnostic(`screenshots: ${screenshots}`)

  await w.assertClean()
  w.closing()
})
