/**
 * What the dashboard tests watch on every page they open: requests that leave the observatory's origin, requests
 * that fail (network errors, HTTP 4xx/5xx), console errors and page errors, and CSP violations (reported by the
 * browser's `securitypolicyviolation` event, recorded by a script playwright adds before the page's own: it runs
 * outside the page's CSP).
 */
import assert from 'node:assert/strict'
import type { Browser, BrowserContextOptions, Page } from 'playwright-core'

export interface Watched {
  page: Page
  /** Every URL the page asked for. */
  requested: string[]
  foreign: string[]
  failed: string[]
  problems: string[]
  /** Call before stopping the observatory: the stream's end is not a failure then. */
  closing(): void
  /** Asserts nothing went wrong so far (CSP violations included). */
  assertClean(): Promise<void>
}

export async function watchedPage(
  browser: Browser,
  origin: string,
  options: BrowserContextOptions = {},
  allowStatus: (url: string, status: number) => boolean = () => false,
): Promise<Watched> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    reducedMotion: 'reduce',
    ...options,
  })
  const page = await context.newPage()
  page.setDefaultTimeout(30_000)
  // A string: the script runs in the page, whose globals (window, document) this project's types do not have.
  await page.addInitScript(`
    const seen = []
    Object.defineProperty(window, '__cspViolations', { value: seen })
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(event.violatedDirective + ' ' + event.blockedURI)
    })
  `)
  const requested: string[] = []
  const foreign: string[] = []
  const failed: string[] = []
  const problems: string[] = []
  let closing = false
  page.on('request', (request) => {
    requested.push(request.url())
    if (!request.url().startsWith(`${origin}/`)) foreign.push(request.url())
  })
  page.on('requestfailed', (request) => {
    const error = request.failure()?.errorText ?? ''
    // A navigation away cancels the views' fetches and the stream: the browser's own doing.
    if (!closing && error !== 'net::ERR_ABORTED') failed.push(`${request.url()}: ${error}`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400 && !allowStatus(response.url(), response.status())) {
      failed.push(`${response.url()}: HTTP ${response.status()}`)
    }
  })
  page.on('console', (message) => {
    if (message.type() === 'error' && !closing) problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  return {
    page,
    requested,
    foreign,
    failed,
    problems,
    closing: () => {
      closing = true
    },
    assertClean: async () => {
      const csp = (await page.evaluate('window.__cspViolations')) as string[]
      assert.deepEqual(csp, [], 'no CSP violation')
      assert.deepEqual(foreign, [], 'no request leaves the observatory')
      assert.deepEqual(failed, [], 'no request failed')
      assert.deepEqual(problems, [], 'no console error and no page error')
    },
  }
}

/**
 * Waits until `expression`, evaluated in the page, is true: polled from here (at most 30 s), because
 * playwright's `waitForFunction` evaluates a string with `eval` inside the page, which the dashboard's CSP
 * (no 'unsafe-eval') refuses whenever the first check is false.
 */
export async function waitInPage(page: Page, expression: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await page.evaluate(expression)) === true) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting in the page for: ${expression}`)
}
