// When the brain is unreachable or something breaks inside, clients get a clear JSON error with
// the right status, never a stack trace, an internal URL or a credential.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createApp } from '../../src/http/app.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'
import { freePort } from '../support/free-port.js'

const PASSWORD = 'sentinel-password-7f3a'

describe('when CouchDB does not answer', () => {
  let app: FastifyInstance
  let couchUrl: string
  before(async () => {
    couchUrl = `http://127.0.0.1:${await freePort()}`
    const store = createCouchStore({ couch: { url: couchUrl, username: 'admin', password: PASSWORD, database: 'zerglings', requestTimeoutMs: 1000 } })
    app = await createApp({ store })
  })
  after(async () => { await app.close() })

  it('then /_health still answers 200 and says the brain is damaged', async () => {
    const response = await app.inject({ method: 'GET', url: '/_health' })
    assert.equal(response.statusCode, 200)
    assert.equal(response.json().health.brain, 'damaged')
  })

  it('then /readyz answers 503 while /livez stays 200', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503)
    assert.equal((await app.inject({ method: 'GET', url: '/livez' })).statusCode, 200)
  })

  for (const [method, url, payload] of [
    ['POST', '/zerglings/', undefined],
    ['GET', '/zerglings/', undefined],
    ['GET', '/zerglings/c4a24574-4ca8-4fbd-93e1-2a648147a71f', undefined],
    ['POST', '/zerglings/c4a24574-4ca8-4fbd-93e1-2a648147a71f', '"M"']
  ] as const) {
    it(`then ${method} ${url} answers 503 with Retry-After and leaks neither URL nor password`, async () => {
      const response = await app.inject({ method, url, payload })
      assert.equal(response.statusCode, 503)
      assert.ok(Number(response.headers['retry-after']) > 0)
      assert.equal(response.json().error, 'brain_unavailable')
      assert.ok(!response.body.includes(PASSWORD))
      assert.ok(!response.body.includes(couchUrl.replace('http://', '')))
    })
  }
})

describe('when something breaks inside the service', () => {
  let ctx: EmbeddedApp
  before(async () => {
    ctx = await startEmbeddedApp((store): ZerglingStore => ({
      ...store,
      kind: store.kind,
      list: async () => { throw new Error(`boom at http://admin:${PASSWORD}@10.0.0.1:5984/zerglings`) }
    }))
  })
  after(async () => { await ctx.close() })

  it('then it answers 500 internal_error with a generic sentence and no details', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/zerglings/' })
    assert.equal(response.statusCode, 500)
    assert.deepEqual(response.json(), { error: 'internal_error', reason: 'Something went wrong inside overmind; it has been logged.' })
  })
})

describe('how failures are logged', () => {
  it('when a request is answered 503, then it is logged as a warning with its reason, and a 500 as an error with its stack', async () => {
    const { pino } = await import('pino')
    const { StoreError } = await import('../../src/store/store-error.js')
    const lines: Array<{ level: number, msg: string, err?: { stack?: string } }> = []
    const ctx = await startEmbeddedApp((store): ZerglingStore => ({
      ...store,
      kind: store.kind,
      get: async () => { throw new StoreError('conflict', 'lost every race') },
      list: async () => { throw new Error('a bug') }
    }), { loggerInstance: pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line)) } }) })
    try {
      assert.equal((await ctx.app.inject({ method: 'GET', url: '/zerglings/c4a24574-4ca8-4fbd-93e1-2a648147a71f' })).statusCode, 503)
      assert.equal((await ctx.app.inject({ method: 'GET', url: '/zerglings/' })).statusCode, 500)
      const failures = lines.filter((line) => line.level >= 40)
      assert.deepEqual(failures.map((line) => [line.level, line.err?.stack !== undefined]), [[40, false], [50, true]])
      assert.match(failures[0]!.msg, /Too many commands reached this zergling/)
    } finally {
      await ctx.close()
    }
  })
})
