// A real Chromium for the web map's end-to-end tests: Debian's `chromium` package, driven by
// playwright-core, headless — never a browser that playwright downloads. Without it the tests
// skip, saying how to get it (.ci/run installs it with apt).
import { execFileSync } from 'node:child_process'
import { chromium, type Browser, type Page } from 'playwright-core'

/** The path of `chromium` on PATH, or undefined. */
export function findChromium (): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

const executablePath = findChromium()

/** For `describe(…, { skip })`: false, or why the browser tests do not run here. */
export const NO_CHROMIUM: string | false = executablePath === undefined
  ? 'Chromium is not installed: `apt-get install -y chromium` (Debian\'s package, as .ci/run does), then `node scripts/run-tests.mjs test/web/map.test.ts`'
  : false

export async function launchChromium (): Promise<Browser> {
  return await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] })
}

export interface WatchedPage {
  page: Page
  /** Console errors, uncaught exceptions and failed or refused (4xx/5xx) requests so far. */
  troubles: string[]
}

/** A page whose console errors and failed requests are collected: the contract allows none. */
export async function openWatchedPage (browser: Browser, url: string, viewport = { width: 1100, height: 700 }): Promise<WatchedPage> {
  // A context of its own: axe-core's playwright binding needs one (not browser.newPage()).
  const page = await (await browser.newContext({ viewport })).newPage()
  const troubles: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') troubles.push(`console: ${message.text()}`) })
  page.on('pageerror', (error) => { troubles.push(`exception: ${error.message}`) })
  page.on('requestfailed', (request) => {
    // A stream the page itself closes (navigating away, closing) is not a failure.
    if (!request.url().includes('/zerglings/_changes')) troubles.push(`failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`)
  })
  page.on('response', (response) => { if (response.status() >= 400) troubles.push(`${response.status()}: ${response.request().method()} ${response.url()}`) })
  await page.goto(url)
  return { page, troubles }
}
