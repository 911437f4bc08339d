/**
 * The dashboard in a real browser (headless Chromium through playwright-core), against the real CLI in a child
 * process with its own temporary store: events sent before the page opens are on the board, grouped by session,
 * with the states `GET /api/sessions` gives; states change live as events arrive; a reload shows the same; the
 * stream finds an event by a word of its tool output; the session view lists the tool calls with durations;
 * payloads holding HTML show as text; and nothing fails (no console error, no CSP violation, no failed request,
 * no request leaving the origin). KEEP_SCREENSHOTS=1 keeps the screenshots and prints where.
 * Skipped, with the reason printed, where /usr/bin/chromium is absent.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { postEvent, request, startCli } from '../observatory/helpers.ts'
import { browserSkip, launchBrowser } from './browser.ts'
import { waitInPage, watchedPage } from './dashboard-page.ts'

const skip = browserSkip('live-page', 'the dashboard')

const ALPHA = 'a1b2c3d4-0000-4000-8000-123456789abc'
const BETA = 'b2c3d4e5-0000-4000-8000-abcdef012345'
const XSS_PROMPT =
  '<img src=x onerror="window.__xss=1"> and </script><script>window.__xss=2</script>'
const XSS_DIR = '/work/<img src=x onerror=window.__xss=3>'

test('the dashboard: board, live states, reload, search, session view, payloads as text', {
  skip,
  timeout: 240_000,
}, async (t) => {
  const obs = await startCli(t, ['--port', '0', '--quiet'])
  const target = obs.tcp
  const origin = `http://127.0.0.1:${target.port}`
  const post = async (event: string, payload: unknown): Promise<void> => {
    assert.equal((await postEvent(target, event, payload)).status, 200, event)
  }
  const apiStates = async (): Promise<Record<string, string>> => {
    const reply = await request(target, { path: '/api/sessions' })
    const body = JSON.parse(reply.body) as { sessions: { session_id: string; state: string }[] }
    return Object.fromEntries(body.sessions.map((s) => [s.session_id, s.state]))
  }

  // Sent before the page exists.
  const alpha = { session_id: ALPHA, cwd: '/work/alpha', permission_mode: 'default' }
  await post('SessionStart', { ...alpha, source: 'startup', model: 'claude-test-1' })
  await post('UserPromptSubmit', { ...alpha, prompt_id: 'p1', prompt: XSS_PROMPT })
  await post('PreToolUse', {
    ...alpha,
    prompt_id: 'p1',
    tool_name: 'Bash',
    tool_input: { command: 'grep -rn needle .' },
    tool_use_id: 'toolu_a1',
  })
  await post('PostToolUse', {
    ...alpha,
    prompt_id: 'p1',
    tool_name: 'Bash',
    tool_input: { command: 'grep -rn needle .' },
    tool_use_id: 'toolu_a1',
    tool_response: { stdout: 'src/zoo.ts:3: zebracorn-4711 lives here', stderr: '' },
    duration_ms: 1234,
  })
  await post('Stop', { ...alpha, prompt_id: 'p1', stop_hook_active: false })
  const beta = { session_id: BETA, cwd: XSS_DIR }
  await post('SessionStart', { ...beta, source: 'startup' })
  await post('UserPromptSubmit', { ...beta, prompt_id: 'q1', prompt: 'read the config' })
  await post('PreToolUse', {
    ...beta,
    prompt_id: 'q1',
    tool_name: 'mcp__files__read_config',
    tool_input: { path: '/etc/app.conf' },
    tool_use_id: 'toolu_b1',
  })

  const browser = await launchBrowser(t)
  const w = await watchedPage(browser, origin)
  const page = w.page
  // Headless Chromium shows no notifications: a stand-in records what the page asks to show.
  await page.addInitScript(`
    window.__notes = []
    window.Notification = class {
      static permission = 'default'
      static requestPermission() {
        this.permission = 'granted'
        return Promise.resolve('granted')
      }
      constructor(title, options) { window.__notes.push(title + ': ' + options.body) }
      close() {}
    }
  `)
  const response = await page.goto(`${origin}/`)
  assert.equal(response?.status(), 200)
  assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'self'/)
  assert.equal(await page.title(), 'Sessions · Claude Code hooks observatory')
  await page.locator('#status.live').waitFor()

  const card = (id: string) => page.locator(`.card[data-session-id="${id}"]`)
  const boardStates = async (): Promise<Record<string, string>> => {
    const cards = page.locator('.card')
    const states: Record<string, string> = {}
    for (let i = 0; i < (await cards.count()); i++) {
      const c = cards.nth(i)
      states[(await c.getAttribute('data-session-id'))!] = (await c.getAttribute('data-state'))!
    }
    return states
  }
  const waitForState = async (id: string, state: string): Promise<void> => {
    await page.locator(`.card[data-session-id="${id}"][data-state="${state}"]`).waitFor()
  }

  // Grouped by session, with the API's states.
  await card(ALPHA).waitFor()
  await card(BETA).waitFor()
  assert.equal(await page.locator('.card').count(), 2, 'one card per session')
  assert.deepEqual(await boardStates(), await apiStates())
  assert.deepEqual(await boardStates(), { [ALPHA]: 'waiting for input', [BETA]: 'running tool' })
  assert.match(
    (await card(BETA).locator('.state-line').textContent()) ?? '',
    /^running mcp__files__read_config for \d+ s$/,
  )
  assert.equal(await card(ALPHA).locator('.project').textContent(), 'alpha')
  // A session waiting for a person is in the first group.
  assert.equal(
    await page.locator('.group-needs-you .card').first().getAttribute('data-session-id'),
    ALPHA,
  )

  // Payloads are text: the prompt and the directory show their markup, and nothing of it ran.
  assert.equal(await card(ALPHA).locator('.prompt').textContent(), XSS_PROMPT)
  assert.equal(await card(BETA).locator('.cwd').textContent(), XSS_DIR)
  assert.equal(await page.locator('main img, main script').count(), 0, 'no element from a payload')
  assert.equal(await page.evaluate('window.__xss'), undefined)

  // Opt-in notifications (a click asks the browser), for sessions that start waiting for a person.
  await page.locator('#notify', { hasText: 'Notify me' }).click()
  await page.locator('#notify', { hasText: 'Notifications on' }).waitFor()

  // Live: a new turn runs Bash, asks for permission, finishes.
  await post('UserPromptSubmit', { ...alpha, prompt_id: 'p2', prompt: 'now run the tests' })
  await post('PreToolUse', {
    ...alpha,
    prompt_id: 'p2',
    tool_name: 'Bash',
    tool_input: { command: 'npm test' },
    tool_use_id: 'toolu_a2',
  })
  await waitForState(ALPHA, 'running tool')
  assert.match(
    (await card(ALPHA).locator('.state-line').textContent()) ?? '',
    /^running Bash for \d+ s$/,
  )
  assert.equal(await card(ALPHA).locator('.current code').textContent(), 'npm test')
  await post('PermissionRequest', {
    ...alpha,
    prompt_id: 'p2',
    tool_name: 'Bash',
    tool_input: { command: 'npm test' },
  })
  await waitForState(ALPHA, 'waiting for permission')
  assert.match(
    (await card(ALPHA).locator('.state-line').textContent()) ?? '',
    /^waiting for permission to use Bash for \d+ s$/,
  )
  assert.ok(
    await card(ALPHA).evaluate((el) => el.classList.contains('state-waiting-for-permission')),
  )
  await post('PostToolUse', {
    ...alpha,
    prompt_id: 'p2',
    tool_name: 'Bash',
    tool_input: { command: 'npm test' },
    tool_use_id: 'toolu_a2',
    tool_response: { stdout: 'ok', stderr: '' },
  })
  await post('Stop', { ...alpha, prompt_id: 'p2', stop_hook_active: false })
  await waitForState(ALPHA, 'waiting for input')
  await waitInPage(page, 'window.__notes.length === 2')
  assert.deepEqual(await page.evaluate('window.__notes'), [
    'Claude Code: alpha: alpha wants permission to use Bash',
    'Claude Code: alpha: alpha is waiting for your input',
  ])
  await post('SessionEnd', { ...beta, reason: 'logout' })
  await card(BETA).waitFor({ state: 'detached' })
  assert.deepEqual(
    await boardStates(),
    { [ALPHA]: 'waiting for input' },
    'ended: behind the toggle',
  )
  await page.getByRole('button', { name: /Show ended \(1\)/ }).click()
  await waitForState(BETA, 'ended')
  assert.deepEqual(await boardStates(), await apiStates())

  const dir = mkdtempSync(join(tmpdir(), 'dashboard-'))
  if (process.env.KEEP_SCREENSHOTS !== '1')
    t.after(() => rmSync(dir, { recursive: true, force: true }))
  await page.screenshot({ path: join(dir, 'board.png') })

  // A reload shows the same board (the URL kept the toggle), from the store and the model.
  await page.reload()
  await waitForState(BETA, 'ended')
  await waitForState(ALPHA, 'waiting for input')
  assert.deepEqual(await boardStates(), await apiStates())

  // The stream: backfill from the store, newest first; search by a word of a tool's output.
  await page.getByRole('link', { name: 'Stream' }).click()
  await page.locator('.stream-rows .row').first().waitFor()
  const rows = page.locator('.stream-rows .row')
  assert.equal(await rows.count(), 14, 'every stored event')
  assert.equal(await rows.first().getAttribute('data-event'), 'SessionEnd')
  assert.equal(await rows.last().getAttribute('data-event'), 'SessionStart')
  assert.match(
    (await rows.first().locator('.time').textContent()) ?? '',
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
  )
  assert.match(
    (await page.locator('.counts-line').textContent()) ?? '',
    /^14 of 14 loaded events shown/,
  )
  await page.keyboard.press('/')
  assert.equal(await page.evaluate('document.activeElement?.className'), 'search')
  await page.keyboard.type('zebracorn')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/stream\?q=zebracorn$/)
  // The search clears the list, then fills it from /api/events?q=: wait for the answer, not the clearing.
  await waitInPage(
    page,
    "document.querySelectorAll('.stream-rows .row').length === 1 && document.querySelector('.stream-rows .row')?.getAttribute('data-event') === 'PostToolUse'",
  )
  assert.equal(await rows.count(), 1)
  assert.equal(await rows.first().getAttribute('data-event'), 'PostToolUse')
  assert.equal(await rows.first().locator('.tool').textContent(), 'Bash')

  // Its JSON, pretty-printed, from /api/events/{id}; the XSS prompt in a later event stays text too.
  await rows.first().click()
  const drawer = page.locator('.drawer')
  await drawer.locator('pre.json').waitFor()
  assert.match(
    (await drawer.locator('pre.json').textContent()) ?? '',
    /"stdout": "src\/zoo\.ts:3: zebracorn-4711 lives here"/,
  )
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'hidden' })

  // Live events that match the search arrive at the top; pause holds them.
  await page.keyboard.press('p')
  await page.locator('#pause', { hasText: 'Resume' }).waitFor()
  await post('PostToolUse', {
    ...alpha,
    tool_name: 'Bash',
    tool_input: { command: 'echo again' },
    tool_use_id: 'toolu_a3',
    tool_response: { stdout: 'zebracorn again' },
  })
  await post('Notification', { ...alpha, message: 'not about the search word' })
  await page.locator('#pause', { hasText: 'Resume (2)' }).waitFor()
  assert.equal(await rows.count(), 1, 'held while paused')
  await page.locator('#pause').click()
  await rows.nth(1).waitFor()
  assert.equal(await rows.count(), 2, 'the matching one only')
  assert.match((await rows.first().locator('.summary').textContent()) ?? '', /echo again/)

  // Event-type toggles hide and show what is loaded.
  await page.goto(`${origin}/stream`)
  await rows.nth(15).waitFor()
  await page.locator('.chip[data-event-type="PreToolUse"]').click()
  await page.waitForURL(/event=/)
  assert.equal(await page.locator('.stream-rows .row[data-event="PreToolUse"]:visible').count(), 0)
  assert.match(
    (await page.locator('.counts-line').textContent()) ?? '',
    /^13 of 16 loaded events shown/,
  )
  await page.locator('.chip-all').click()
  assert.equal(await page.locator('.stream-rows .row:visible').count(), 16)

  // The session view: the turns and their calls with durations.
  await page.goto(`${origin}/sessions/${ALPHA}`)
  await page.locator('.call').nth(1).waitFor()
  assert.equal(await page.locator('.turn').count(), 3, 'two turns, and the call outside a turn')
  assert.equal(
    await page.locator('.call[data-tool-use-id="toolu_a1"] .call-duration').textContent(),
    '1.2 s',
  )
  assert.match(
    (await page.locator('.call[data-tool-use-id="toolu_a2"] .call-duration').textContent()) ?? '',
    /^\d+ ms$|^\d\.\d s$/,
  )
  assert.match(
    (await page.locator('.call[data-tool-use-id="toolu_a2"] .call-permission').textContent()) ?? '',
    /^permission requested at \d\d:\d\d:\d\d, answered after/,
  )
  assert.equal(await page.locator('.turn .prompt').first().textContent(), XSS_PROMPT)
  // A call opens its events, with a tab per event.
  await page.locator('.call[data-tool-use-id="toolu_a2"]').click()
  await drawer.locator('pre.json').waitFor()
  assert.deepEqual(await drawer.locator('.tab').allTextContents(), [
    'PreToolUse',
    'PermissionRequest',
    'PostToolUse',
  ])
  await page.screenshot({ path: join(dir, 'session.png') })
  if (process.env.KEEP_SCREENSHOTS === '1') t.diagnostic(`screenshots: ${dir}`)
  await page.keyboard.press('Escape')

  assert.equal(await page.locator('main img, main script').count(), 0)
  assert.equal(await page.evaluate('window.__xss'), undefined)
  await w.assertClean()

  // Stopping the observatory ends the stream; the page says so rather than failing silently.
  await page.goto(`${origin}/`)
  await page.locator('#status.live').waitFor()
  w.closing()
  await obs.stopCleanly()
  await page.locator('#status:not(.live)').waitFor()
})
