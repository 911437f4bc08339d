/**
 * What the dashboard costs, measured (printed with t.diagnostic; only correctness is asserted, never a time):
 * the bytes transferred on a first load of the board (every response's headers and body as received, gzip
 * included, the never-ending SSE stream left out), and the time from navigation to the board's first render with
 * 10,000 stored events in 50 sessions (the page's `board-rendered` performance mark), then the same for the
 * stream view's first rows. Skipped, with the reason printed, where /usr/bin/chromium is absent.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hookBytes, RawHttp, request, startCli } from '../observatory/helpers.ts'
import { browserSkip, launchBrowser } from './browser.ts'
import { watchedPage } from './dashboard-page.ts'

const skip = browserSkip('dashboard-cost', 'the dashboard’s cost')

const EVENTS = 10_000
const SESSIONS = 50
const CONNECTIONS = 16

/** The events of one session, in order: a start, then turns of a prompt, tool calls and a stop. */
function sessionEvents(n: number, count: number): [string, string][] {
  const id = `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`
  const base = { session_id: id, cwd: `/work/project-${n}`, permission_mode: 'default' }
  const out: [string, string][] = [
    ['SessionStart', JSON.stringify({ ...base, source: 'startup', model: 'claude-test' })],
  ]
  let turn = 0
  let call = 0
  while (out.length < count) {
    const prompt = `p${n}-${++turn}`
    out.push([
      'UserPromptSubmit',
      JSON.stringify({ ...base, prompt_id: prompt, prompt: `step ${turn} of the plan` }),
    ])
    for (let i = 0; i < 8 && out.length < count - 1; i++) {
      const tool = { tool_name: 'Bash', tool_input: { command: `make step-${turn}-${i}` } }
      const use = `toolu_${n}_${++call}`
      out.push([
        'PreToolUse',
        JSON.stringify({ ...base, prompt_id: prompt, ...tool, tool_use_id: use }),
      ])
      out.push([
        'PostToolUse',
        JSON.stringify({
          ...base,
          prompt_id: prompt,
          ...tool,
          tool_use_id: use,
          tool_response: { stdout: `built step ${turn}.${i}`.repeat(4), stderr: '' },
        }),
      ])
    }
    if (out.length < count) out.push(['Stop', JSON.stringify({ ...base, prompt_id: prompt })])
  }
  return out.slice(0, count)
}

test('page cost: first-load bytes, time to the board with 10,000 stored events', {
  skip,
  timeout: 300_000,
}, async (t) => {
  const obs = await startCli(t, ['--port', '0', '--quiet'])
  const target = obs.tcp
  const origin = `http://127.0.0.1:${target.port}`

  // 10,000 events over 16 keep-alive connections, each session's events in order on one connection.
  const queues: [string, string][][] = Array.from({ length: CONNECTIONS }, () => [])
  for (let n = 0; n < SESSIONS; n++) {
    queues[n % CONNECTIONS]!.push(...sessionEvents(n, EVENTS / SESSIONS))
  }
  const posting = Date.now()
  await Promise.all(
    queues.map(async (queue) => {
      const http = await RawHttp.connect(target)
      try {
        for (const [event, body] of queue) {
          const reply = await http.send(hookBytes(event, body))
          assert.equal(reply.status, 200)
        }
      } finally {
        http.close()
      }
    }),
  )
  const postMs = Date.now() - posting
  const list = JSON.parse((await request(target, { path: '/api/sessions' })).body)
  assert.equal(list.total, SESSIONS)
  t.diagnostic(
    `posted ${EVENTS} events in ${postMs} ms (${Math.round(EVENTS / (postMs / 1000))}/s)`,
  )

  const browser = await launchBrowser(t)
  const w = await watchedPage(browser, origin)
  for (const round of ['first load', 'second load (assets cached)'] as const) {
    // The second round opens the board again in the same browser context, with what it cached.
    const page = round === 'first load' ? w.page : await w.page.context().newPage()
    const sizes: Promise<{ url: string; bytes: number }>[] = []
    page.on('requestfinished', (req) => {
      sizes.push(
        req.sizes().then((s) => ({
          url: req.url(),
          bytes: s.responseBodySize + s.responseHeadersSize,
        })),
      )
    })
    await page.goto(`${origin}/`)
    await page
      .locator('.card')
      .nth(SESSIONS - 1)
      .waitFor()
    const rendered = await page.evaluate(
      () => performance.getEntriesByName('board-rendered')[0]?.startTime ?? -1,
    )
    assert.ok(rendered > 0, 'the board marks its first render')
    assert.equal(await page.locator('.card').count(), SESSIONS)
    await page.waitForLoadState('networkidle').catch(() => {}) // the SSE stream never idles
    await page.waitForTimeout(500)
    const done = await Promise.all(sizes)
    const bytes = done.reduce((sum, s) => sum + s.bytes, 0)
    const detail = done
      .map((s) => `${new URL(s.url).pathname} ${s.bytes}`)
      .sort()
      .join(', ')
    t.diagnostic(
      `${round}: ${bytes.toLocaleString('en-US')} bytes in ${done.length} responses (${detail}); ` +
        `board rendered ${Math.round(rendered)} ms after navigation start`,
    )

    // The stream view's first rows from the same store.
    const started = Date.now()
    await page.getByRole('link', { name: 'Stream' }).click()
    await page.locator('.stream-rows .row').nth(199).waitFor()
    t.diagnostic(
      `${round}: stream view's first 200 rows ${Date.now() - started} ms after the click`,
    )
  }
  await w.assertClean()
  w.closing()
  await obs.stopCleanly()
})
