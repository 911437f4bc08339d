/**
 * The demo's /docs page in a real browser (headless Chromium through playwright-core): it renders every demo
 * route, loads only from the test server (nothing from a CDN, no failed request, no CSP violation), and
 * "Try it out" works against the live API. Skipped, with the reason printed, where /usr/bin/chromium is absent
 * (CI installs Debian's chromium package).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createDemoApp } from '../../src/demo/index.ts'
import { silentLogger } from '../../src/transport/logger.ts'
import { browserSkip, launchBrowser } from './browser.ts'

const skip = browserSkip('docs-page', 'the docs page')

test('the demo /docs page renders offline in headless Chromium', {
  skip,
  timeout: 120_000,
}, async (t) => {
  const server = await createDemoApp({ logger: silentLogger }).listen({
    port: 0,
    host: '127.0.0.1',
  })
  t.after(() => server.close({ timeout: 2000 }))
  const address = server.addresses[0]
  assert.ok(address?.transport === 'tcp')
  const origin = `http://127.0.0.1:${address.port}`

  const browser = await launchBrowser(t)
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } })
  page.setDefaultTimeout(30_000)

  const requested: string[] = []
  const foreign: string[] = []
  const failed: string[] = []
  const problems: string[] = []
  page.on('request', (request) => {
    requested.push(request.url())
    if (!request.url().startsWith(`${origin}/`) && !request.url().startsWith('data:')) {
      foreign.push(request.url())
    }
  })
  page.on('requestfailed', (request) =>
    failed.push(`${request.url()}: ${request.failure()?.errorText}`),
  )
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.url()}: HTTP ${response.status()}`)
  })
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))

  const response = await page.goto(`${origin}/docs`, { waitUntil: 'networkidle' })
  assert.equal(response?.status(), 200)
  await page.locator('.opblock').first().waitFor()

  const paths = await page.locator('.opblock-summary-path').allTextContents()
  const listed = paths.map((p) => p.replace(/\u200b/g, '').trim())
  for (const path of ['/', '/health', '/users', '/users/{id}', '/echo']) {
    assert.ok(listed.includes(path), `${path} is listed (got ${JSON.stringify(listed)})`)
  }
  const text = (await page.locator('#swagger-ui').textContent()) ?? ''
  for (const summary of [
    'Welcome message',
    'Health check',
    'List users',
    'Get one user',
    'Create a user',
    'Echo the JSON body',
  ]) {
    assert.ok(text.includes(summary), `summary "${summary}" is shown`)
  }
  assert.match(text, /Demo API/)

  // Screenshots to look at: kept when KEEP_SCREENSHOTS=1, removed otherwise.
  const dir = mkdtempSync(join(tmpdir(), 'docs-page-'))
  if (process.env.KEEP_SCREENSHOTS !== '1')
    t.after(() => rmSync(dir, { recursive: true, force: true }))
  await page.screenshot({ path: join(dir, 'overview.png'), fullPage: true })

  // Try it out: GET /health from the page, against the live server.
  const health = page.locator('.opblock', {
    has: page.locator('.opblock-summary-path', { hasText: /^\/health$/ }),
  })
  await health.locator('.opblock-summary').click()
  await health.getByRole('button', { name: 'Try it out' }).click()
  await health.getByRole('button', { name: 'Execute' }).click()
  const live = health.locator('.live-responses-table tr.response .response-col_status').first()
  await live.waitFor()
  assert.match((await live.textContent()) ?? '', /200/)
  assert.match(
    (await health.locator('.live-responses-table .highlight-code').first().textContent()) ?? '',
    /"status": "ok"/,
  )

  await page.screenshot({ path: join(dir, 'try-it-out.png') })
  if (process.env.KEEP_SCREENSHOTS === '1') {
    t.diagnostic(`screenshots: ${dir}/overview.png, ${dir}/try-it-out.png`)
  }

  assert.deepEqual(foreign, [], 'no request leaves the test server')
  assert.deepEqual(failed, [], 'no request failed')
  assert.deepEqual(problems, [], 'no console error (CSP violations included) and no page error')
  assert.ok(requested.some((url) => url.endsWith('/docs/init.js')))
  assert.ok(requested.some((url) => url.endsWith('/openapi.json')))
})
