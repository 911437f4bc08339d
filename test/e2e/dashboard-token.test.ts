/**
 * The dashboard with --token, in Chromium: the banner prints the page's URL with the token; opening it sets an
 * HttpOnly SameSite=Strict cookie and lands on the same URL without the token; the page then works (API, live
 * stream) on the cookie alone; without the cookie, or with a wrong token, 401 and no cookie. Hooks still need the
 * header. Skipped, with the reason printed, where /usr/bin/chromium is absent.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { postEvent, request, startCli } from '../observatory/helpers.ts'
import { browserSkip, launchBrowser } from './browser.ts'
import { watchedPage } from './dashboard-page.ts'

const skip = browserSkip('dashboard-token', 'the dashboard with --token')

test('--token: the printed URL sets the cookie, the page works on it; no cookie, no page', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const token = 's3cret/token+1'
  const obs = await startCli(t, ['--port', '0', '--quiet', '--token', token])
  const target = obs.tcp
  const origin = `http://127.0.0.1:${target.port}`
  const printed = /Live page: (\S+)\n/.exec(obs.stderr())?.[1]
  assert.equal(printed, `${origin}/?token=${encodeURIComponent(token)}`)
  const bearer = { headers: { Authorization: `Bearer ${token}` } }
  const session = 'c0ffee00-0000-4000-8000-000000000001'
  assert.equal(
    (await postEvent(target, 'SessionStart', { session_id: session, cwd: '/work/tokened' }, bearer))
      .status,
    200,
  )
  assert.equal(
    (await postEvent(target, 'Stop', { session_id: session })).status,
    401,
    'hooks need it',
  )

  const browser = await launchBrowser(t)
  // The 401s are what this test is about.
  const w = await watchedPage(browser, origin, {}, (_url, status) => status === 401)
  const page = w.page
  const context = page.context()

  const bare = await page.goto(`${origin}/`)
  assert.equal(bare?.status(), 401)
  assert.match((await page.locator('body').textContent()) ?? '', /needs its token/)
  const wrong = await page.goto(`${origin}/?token=wrong`)
  assert.equal(wrong?.status(), 401)
  assert.deepEqual(await context.cookies(), [], 'a wrong token sets no cookie')

  // The printed URL (a view and a filter kept across the redirect).
  const opened = await page.goto(`${origin}/stream?q=tokened&token=${encodeURIComponent(token)}`)
  assert.equal(opened?.status(), 200)
  assert.equal(page.url(), `${origin}/stream?q=tokened`)
  assert.equal(
    opened?.request().redirectedFrom()?.url(),
    `${origin}/stream?q=tokened&token=${encodeURIComponent(token)}`,
  )
  const cookies = await context.cookies()
  assert.equal(cookies.length, 1)
  assert.equal(cookies[0]!.name, 'observatory_token')
  assert.notEqual(cookies[0]!.value, token)
  assert.equal(cookies[0]!.httpOnly, true)
  assert.equal(cookies[0]!.sameSite, 'Strict')
  assert.equal(cookies[0]!.path, '/')
  assert.equal(await page.evaluate('document.cookie'), '', 'scripts cannot read it')

  // The page works on the cookie: backfill from the API, the live stream, the board.
  await page.locator('.stream-rows .row[data-event="SessionStart"]').waitFor()
  await page.locator('#status.live').waitFor()
  assert.equal(
    (await postEvent(target, 'Stop', { session_id: session, cwd: '/work/tokened' }, bearer)).status,
    200,
  )
  await page.locator('.stream-rows .row[data-event="Stop"]').waitFor()
  await page.getByRole('link', { name: 'Sessions' }).click()
  await page
    .locator(`.card[data-session-id="${session}"][data-state="waiting for input"]`)
    .waitFor()
  assert.equal(await page.evaluate(async () => (await fetch('/api/sessions')).status), 200)
  assert.equal(
    await page.evaluate(
      async () => (await fetch('/hook?event=X', { method: 'POST', body: '{}' })).status,
    ),
    401,
    'the cookie does not let the page post events',
  )

  // Without the cookie, from outside the browser: 401; with it, 200.
  assert.equal((await request(target, { path: '/api/sessions' })).status, 401)
  const withCookie = await request(target, {
    path: '/api/sessions',
    headers: { Cookie: `${cookies[0]!.name}=${cookies[0]!.value}` },
  })
  assert.equal(withCookie.status, 200)

  // A fresh browser context (no cookie) is refused again.
  await context.clearCookies()
  assert.equal((await page.goto(`${origin}/`))?.status(), 401)

  assert.deepEqual(w.failed, [], 'nothing failed but the 401s asked for')
  assert.deepEqual(w.foreign, [])
  assert.deepEqual(
    w.problems.filter((p) => !/401/.test(p)),
    [],
  )
  w.closing()
  await obs.stopCleanly()
})
