/**
 * Headless Chromium for the page tests, through playwright-core and Debian's `chromium` package (CI installs it;
 * playwright's own browser download is not used). The flags keep Chromium off the network except for the pages
 * a test opens: without the background-networking ones it tries to reach Google's services at every start.
 */
import { existsSync } from 'node:fs'
import type { TestContext } from 'node:test'
import { type Browser, chromium } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'

/** `false` when Chromium is installed; otherwise the skip reason, printed once on stderr. */
export function browserSkip(name: string, what: string): false | string {
  if (existsSync(CHROMIUM)) return false
  const reason = `${CHROMIUM} is absent (apt-get install chromium): ${what} is not checked in a browser`
  process.stderr.write(`${name}: skipped: ${reason}\n`)
  return reason
}

/** Launch headless Chromium, closed after the test. */
export async function launchBrowser(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    timeout: 60_000,
  })
  t.after(() => browser.close())
  return browser
}
