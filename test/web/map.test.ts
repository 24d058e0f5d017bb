// The web map at `/` in a real Chromium (support/browser.ts), on the embedded store and on
// CouchDB (the double, or a real one with COUCHDB_TEST_URL; there with two replicas). The
// contract: every zergling is an element with data-zergling-id, data-x, data-y, data-facing;
// buttons Spawn, Left, Right, Move; a zergling spawned from the page is selected; a click
// selects; keys L, R, M (either case) steer the selected one; another client's changes show
// within a second; no sideways scrolling at 390 px with the controls on screen; no serious or
// critical axe-core violation; no console error or failed request. It writes a screenshot to
// test-results/ (and to docs/map.png, which the README shows, with UPDATE_SCREENSHOTS=1).
import assert from 'node:assert/strict'
import { copyFile, mkdir } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { startCuttableProxy, type CuttableProxy } from '../stream/support/cuttable-proxy.js'
import { moveThrough, spawnThrough, startCouchStreamApps, startEmbeddedStreamApp, type StreamApps } from '../stream/support/stream-apps.js'
import { launchChromium, NO_CHROMIUM, openWatchedPage, type WatchedPage } from './support/browser.js'

const ARTIFACTS = new URL('../../test-results/', import.meta.url)
/** "shows within a second": from the API's answer to the element's new attributes. */
const WITHIN_MS = 1000

interface Shown { x: string | null, y: string | null, facing: string | null }

async function shown (page: Page, id: string): Promise<Shown> {
  const element = page.locator(`[data-zergling-id="${id}"]`)
  return { x: await element.getAttribute('data-x'), y: await element.getAttribute('data-y'), facing: await element.getAttribute('data-facing') }
}

/** Waits until the zergling is shown at that state. */
async function shows (page: Page, id: string, { x, y, facing }: { x: number, y: number, facing: string }, timeout = 5000): Promise<void> {
  await page.waitForFunction(([id, x, y, facing]) => {
    const element = document.querySelector<SVGElement>(`[data-zergling-id="${id}"]`)
    return element?.dataset.x === x && element.dataset.y === y && element.dataset.facing === facing
  }, [id, String(x), String(y), facing] as const, { timeout })
}

async function selectedId (page: Page): Promise<string> {
  const selected = page.locator('[data-zergling-id][aria-pressed="true"]')
  await selected.waitFor()
  return (await selected.getAttribute('data-zergling-id'))!
}

async function assertAccessible (page: Page, label: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze()
  const grave = violations.filter(({ impact }) => impact === 'serious' || impact === 'critical')
  assert.deepEqual(grave.map(({ id, nodes }) => `${id}: ${nodes.map(({ target }) => target.join(' ')).join(', ')}`), [], `${label}: no serious or critical axe-core violation`)
}

for (const kind of ['embedded', 'couchdb'] as const) {
  describe(`the web map on ${kind === 'embedded' ? 'the embedded store' : 'CouchDB'}`, { skip: NO_CHROMIUM, timeout: 180_000 }, () => {
    let couch: TestCouch | undefined
    let proxy: CuttableProxy | undefined
    let apps: StreamApps
    let browser: Browser
    const pages: WatchedPage[] = []
    /** The replica pages open on, and the one "another client" uses (another replica on CouchDB). */
    let url: string
    let otherUrl: string
    const open = async (at = url, viewport?: { width: number, height: number }): Promise<Page> => {
      const watched = await openWatchedPage(browser, at, viewport)
      pages.push(watched)
      await watched.page.locator('#status', { hasText: 'Live' }).waitFor()
      return watched.page
    }

    before(async () => {
      if (kind === 'couchdb') {
        couch = await startTestCouch()
        proxy = await startCuttableProxy(couch.url)
        apps = await startCouchStreamApps(couch, [{ via: proxy.url, requestTimeoutMs: 1000 }, {}], { retry: { firstMs: 100, maxMs: 500 } })
      } else {
        apps = await startEmbeddedStreamApp()
      }
      url = apps.replicas[0]!.url
      otherUrl = apps.replicas.at(-1)!.url
      browser = await launchChromium()
    })
    after(async () => {
      await browser?.close()
      await apps?.close()
      await proxy?.close()
      await couch?.close()
    })

    it('when a person spawns a zergling and steers it with the buttons, then it is selected and shows each new state', async () => {
      const page = await open()
      await page.getByRole('button', { name: 'Spawn' }).click()
      const id = await selectedId(page)
      assert.deepEqual(await shown(page, id), { x: '0', y: '0', facing: 'N' })
      await page.getByRole('button', { name: 'Left' }).click()
      await shows(page, id, { x: 0, y: 0, facing: 'W' })
      await page.getByRole('button', { name: 'Move' }).click()
      await shows(page, id, { x: -1, y: 0, facing: 'W' })
      await page.getByRole('button', { name: 'Right' }).click()
      await shows(page, id, { x: -1, y: 0, facing: 'N' })
      await page.locator('#selected', { hasText: '3 commands' }).waitFor()
    })

    it('when a person presses L, R and M in either case, then the selected zergling obeys them in order', async () => {
      const page = await open()
      await page.getByRole('button', { name: 'Spawn' }).click()
      const id = await selectedId(page)
      for (const key of ['m', 'M', 'r', 'm', 'R', 'M', 'l', 'L']) await page.keyboard.press(key)
      // M M → (0,2); r → E; m → (1,2); R → S; M → (1,1); l → E; L → N.
      await shows(page, id, { x: 1, y: 1, facing: 'N' })
      const stored = await (await fetch(`${url}/zerglings/${id}`)).json() as { zergling: { commandHistory: string[] } }
      assert.deepEqual(stored.zergling.commandHistory.join(''), 'MMRMRMLL')
    })

    it('when a person clicks another zergling, then that one is selected and the keys steer it', async () => {
      const other = await spawnThrough(otherUrl)
      // Not where the page's own spawn will stand (the newest is drawn on top).
      await moveThrough(otherUrl, other, 'RM')
      const page = await open()
      await page.getByRole('button', { name: 'Spawn' }).click()
      const spawned = await selectedId(page)
      await page.locator(`[data-zergling-id="${other}"]`).click()
      assert.equal(await selectedId(page), other)
      assert.equal(await page.locator(`[data-zergling-id="${spawned}"]`).getAttribute('aria-pressed'), 'false')
      await page.keyboard.press('m')
      await shows(page, other, { x: 2, y: 0, facing: 'E' })
    })

    it(`when another client spawns and moves zerglings through the API${kind === 'couchdb' ? ' of another replica' : ''}, then two open pages show each change within a second`, async () => {
      const [first, second] = [await open(), await open()]
      const id = await spawnThrough(otherUrl)
      await Promise.all([first, second].map(async (page) => await shows(page, id, { x: 0, y: 0, facing: 'N' }, WITHIN_MS)))
      for (const [letters, state] of [['M', { x: 0, y: 1, facing: 'N' }], ['RMM', { x: 2, y: 1, facing: 'E' }]] as const) {
        await moveThrough(otherUrl, id, letters)
        const answeredAt = Date.now()
        await Promise.all([first, second].map(async (page) => await shows(page, id, state, WITHIN_MS)))
        assert.ok(Date.now() - answeredAt <= WITHIN_MS + 100)
      }
      await fetch(`${otherUrl}/zerglings/${id}`, { method: 'DELETE' })
      await Promise.all([first, second].map(async (page) => await page.locator(`[data-zergling-id="${id}"]`).waitFor({ state: 'detached', timeout: WITHIN_MS })))
    })

    it('when the page is 390 px wide, then nothing scrolls sideways and the controls are on screen', async () => {
      const page = await open(url, { width: 390, height: 844 })
      const width = await page.evaluate(() => document.documentElement.scrollWidth)
      assert.ok(width <= 390, `the page is ${width} px wide`)
      for (const name of ['Spawn', 'Left', 'Move', 'Right']) {
        const box = (await page.getByRole('button', { name }).boundingBox())!
        assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.y >= 0 && box.y + box.height <= 844, `${name} is on screen: ${JSON.stringify(box)}`)
      }
      await assertAccessible(page, 'at 390 px')
    })

    it('when the page is checked with axe-core, then it has no serious or critical violation, and it names the replica that served it', async () => {
      await spawnThrough(otherUrl)
      const page = await open()
      await page.getByRole('button', { name: 'Spawn' }).click()
      await selectedId(page)
      await assertAccessible(page, 'with a selected zergling')
      assert.equal(await page.locator('#page-replica').textContent(), kind === 'embedded' ? 'embedded' : 'replica-0')
      assert.equal(await page.locator('#stream-replica').textContent(), kind === 'embedded' ? 'embedded' : 'replica-0')
    })

    it('when the swarm spreads out, then the map fits it; after a zoom it keeps the person\'s view until Fit', async () => {
      const far = await spawnThrough(otherUrl)
      const page = await open()
      await moveThrough(otherUrl, far, 'M'.repeat(40))
      await shows(page, far, { x: 0, y: 40, facing: 'N' })
      const visible = async (): Promise<boolean> => {
        const box = await page.locator(`[data-zergling-id="${far}"]`).boundingBox()
        const map = (await page.locator('#grid').boundingBox())!
        return box !== null && box.y >= map.y && box.y + box.height <= map.y + map.height
      }
      assert.ok(await visible(), 'fitted: the far zergling is on the map')
      for (let i = 0; i < 6; i++) await page.getByRole('button', { name: 'Zoom in' }).click()
      assert.equal(await page.getByRole('button', { name: 'Fit the swarm' }).getAttribute('aria-pressed'), 'false')
      await page.getByRole('button', { name: 'Fit the swarm' }).click()
      assert.ok(await visible(), 'fitted again')
    })

    if (kind === 'couchdb') {
      it('when the replica cannot reach CouchDB, then the page says the brain is unavailable, and clears it once CouchDB is back', async () => {
        const page = await open()
        await proxy!.cut()
        try {
          await page.getByRole('alert').filter({ hasText: 'The brain is unavailable' }).waitFor({ timeout: 15_000 })
          await page.locator('#status', { hasText: 'Brain unavailable' }).waitFor()
        } finally {
          await proxy!.restore()
        }
        await page.getByRole('alert').waitFor({ state: 'hidden', timeout: 15_000 })
        await page.locator('#status', { hasText: 'Live' }).waitFor()
        // What the page saw while CouchDB was away is not held against the other tests.
        pages.pop()
      })
    }

    it('when the pages are done, then none logged a console error or a failed request, and the map is on record as a screenshot', async () => {
      // A swarm of its own for the picture: what the other tests left goes first.
      const { zerglings } = await (await fetch(`${otherUrl}/zerglings/?limit=1000`)).json() as { zerglings: Array<{ id: string }> }
      for (const { id } of zerglings) await fetch(`${otherUrl}/zerglings/${id}`, { method: 'DELETE' })
      for (const letters of ['MMRMMLM', 'LMMMLMRM', 'RRMMMRM', 'RMMMMLMMLM', 'LMLMMRMRM']) {
        await moveThrough(otherUrl, await spawnThrough(otherUrl), letters)
      }
      const page = await open()
      await page.getByRole('button', { name: 'Spawn' }).click()
      await selectedId(page)
      for (const key of 'mmrm') await page.keyboard.press(key)
      await page.locator('#selected', { hasText: '4 commands' }).waitFor()
      await mkdir(ARTIFACTS, { recursive: true })
      const shot = new URL(`map-${kind}.png`, ARTIFACTS)
      await page.screenshot({ path: shot.pathname })
      if (process.env.UPDATE_SCREENSHOTS === '1' && kind === 'embedded') await copyFile(shot, new URL('../../docs/map.png', import.meta.url))
      assert.deepEqual(pages.flatMap(({ troubles }) => troubles), [])
    })
  })
}
