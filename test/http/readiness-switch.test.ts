// The operator's drain switch: POST /readyz/disable takes the replica out of rotation while what
// it has in flight finishes; POST /readyz/enable puts it back; both need the admin token.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.js'
import { loggerOptions } from '../../src/http/server.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { fixedToken } from '../../src/token-file.js'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'

const ADMIN_TOKEN = 'admin-sentinel-7c1d0e9b'
const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** A store whose commands wait until `release()`; `entered` resolves once one is waiting. */
function holdingCommands (): { wrap: (store: ZerglingStore) => ZerglingStore, entered: Promise<void>, release: () => void } {
  let enter!: () => void
  let release!: () => void
  const entered = new Promise<void>((resolve) => { enter = resolve })
  const released = new Promise<void>((resolve) => { release = resolve })
  const wrap = (store: ZerglingStore): ZerglingStore => ({
    ...store,
    kind: store.kind,
    command: async (id, request) => {
      enter()
      await released
      return await store.command(id, request)
    }
  })
  return { wrap, entered, release }
}

async function withLog (wrap?: (store: ZerglingStore) => ZerglingStore): Promise<{ ctx: EmbeddedApp, lines: string[] }> {
  const lines: string[] = []
  // The service's own logger options at the most talkative level: whatever it would log, we see.
  const logger = pino(loggerOptions(loadConfig({ OVERMIND_LOG_LEVEL: 'trace' })), { write: (line: string) => { lines.push(line) } })
  const ctx = await startEmbeddedApp(wrap, { adminToken: fixedToken(ADMIN_TOKEN), loggerInstance: logger })
  return { ctx, lines }
}

describe('the drain switch', () => {
  it('when an operator disables readiness during a slow write, then /readyz answers 503 at once, the write still finishes 200, and enabling makes /readyz 200 again', async () => {
    const held = holdingCommands()
    const { ctx, lines } = await withLog(held.wrap)
    try {
      const { zergling } = (await ctx.app.inject({ method: 'POST', url: '/zerglings/' })).json<{ zergling: { id: string } }>()
      const inFlight = ctx.app.inject({ method: 'POST', url: `/zerglings/${zergling.id}`, payload: 'M' })
      await held.entered

      const disabled = await ctx.app.inject({ method: 'POST', url: '/readyz/disable', headers: asAdmin })
      assert.equal(disabled.statusCode, 200)
      assert.equal(disabled.json().status, 'disabled')
      const ready = await ctx.app.inject({ method: 'GET', url: '/readyz' })
      assert.equal(ready.statusCode, 503)
      assert.match(ready.json().reason, /operator/)
      // Everything else keeps serving, and tells kept-alive clients to reconnect elsewhere.
      const read = await ctx.app.inject({ method: 'GET', url: `/zerglings/${zergling.id}` })
      assert.equal(read.statusCode, 200)
      assert.equal(read.headers.connection, 'close')
      assert.match((await ctx.app.inject({ method: 'GET', url: '/metrics' })).body, /^overmind_readiness_disabled 1$/m)

      held.release()
      const finished = await inFlight
      assert.equal(finished.statusCode, 200)
      assert.deepEqual(finished.json().zergling.location, { x: 0, y: 1 })

      assert.equal((await ctx.app.inject({ method: 'POST', url: '/readyz/enable', headers: asAdmin })).statusCode, 200)
      const again = await ctx.app.inject({ method: 'GET', url: '/readyz' })
      assert.equal(again.statusCode, 200)
      assert.notEqual(again.headers.connection, 'close')
      assert.match((await ctx.app.inject({ method: 'GET', url: '/metrics' })).body, /^overmind_readiness_disabled 0$/m)
      assert.ok(lines.some((line) => line.includes('readiness disabled by an operator')), 'the switch is logged')
    } finally {
      held.release()
      await ctx.close()
    }
  })

  it('when the admin token is missing or wrong, then 401 with WWW-Authenticate: Bearer, readiness unchanged, and the token in no log line', async () => {
    const { ctx, lines } = await withLog()
    try {
      for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }, { authorization: `Bearer ${ADMIN_TOKEN}x` }]) {
        const refused = await ctx.app.inject({ method: 'POST', url: '/readyz/disable', headers })
        assert.equal(refused.statusCode, 401, JSON.stringify(headers))
        assert.equal(refused.json().error, 'unauthorized')
        assert.match(String(refused.headers['www-authenticate']), /^Bearer realm="overmind"/)
      }
      assert.equal((await ctx.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
      // A right token's request, too, is logged (at trace) without it.
      await ctx.app.inject({ method: 'POST', url: '/readyz/disable', headers: asAdmin })
      await ctx.app.inject({ method: 'POST', url: '/readyz/enable', headers: asAdmin })
      assert.ok(lines.length > 8, `the requests were logged (${lines.length} lines)`)
      assert.deepEqual(lines.filter((line) => line.includes(ADMIN_TOKEN) || line.includes('wrong-token')), [])
    } finally {
      await ctx.close()
    }
  })

  it('when no admin token is configured, then /readyz/disable and /readyz/enable answer 404 as if absent and readiness stays up', async () => {
    const ctx = await startEmbeddedApp()
    try {
      for (const url of ['/readyz/disable', '/readyz/enable']) {
        const absent = await ctx.app.inject({ method: 'POST', url, headers: asAdmin })
        assert.equal(absent.statusCode, 404, url)
        assert.equal(absent.json().error, 'not_found')
      }
      assert.equal((await ctx.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
    } finally {
      await ctx.close()
    }
  })
})
