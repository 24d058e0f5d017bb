// The API on CouchDB (the double, or a real server with COUCHDB_TEST_URL): the seed session through
// a real `overmind serve`, and what clients see when the brain is misconfigured.
import { randomUUID } from 'node:crypto'
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createApp } from '../../src/http/app.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import { startServe } from '../support/overmind-process.js'
import { replaySeedSession } from '../support/seed-session.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

async function createDatabase (couch: TestCouch, name: string): Promise<void> {
  const authorization = 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64')
  const response = await fetch(`${couch.url}/${encodeURIComponent(name)}`, { method: 'PUT', headers: { authorization } })
  assert.equal(response.status, 201)
}

describe('the API on CouchDB', () => {
  let couch: TestCouch
  before(async () => { couch = await startTestCouch() })
  after(async () => { await couch.close() })

  it('when overmind serve runs on a bootstrapped CouchDB, then it answers the seed\'s curl session and never prints the password', async () => {
    const database = couch.uniqueDatabaseName('seed-session')
    await createDatabase(couch, database)
    const serve = await startServe({ COUCHDB_URL: couch.url, COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password, OVERMIND_DATABASE: database })
    try {
      await replaySeedSession(serve.baseUrl)
    } finally {
      assert.equal(await serve.kill('SIGTERM'), 0)
    }
    assert.ok(!serve.output().includes(couch.password))
  })

  describe('when the database does not exist', () => {
    let app: FastifyInstance
    before(async () => {
      const store = createCouchStore({ couch: { url: couch.url, username: couch.username, password: couch.password, database: couch.uniqueDatabaseName('never-created'), requestTimeoutMs: 2000 } })
      app = await createApp({ store })
    })
    after(async () => { await app.close() })

    it('then /_health says damaged and /readyz answers 503 naming the bootstrap command', async () => {
      assert.equal((await app.inject({ method: 'GET', url: '/_health' })).json().health.brain, 'damaged')
      const ready = await app.inject({ method: 'GET', url: '/readyz' })
      assert.equal(ready.statusCode, 503)
      assert.match(ready.json().reason, /overmind bootstrap/)
    })

    it('then spawning answers 503 brain_damaged with Retry-After and a reason naming overmind bootstrap', async () => {
      const response = await app.inject({ method: 'POST', url: '/zerglings/' })
      assert.equal(response.statusCode, 503)
      assert.equal(response.json().error, 'brain_damaged')
      assert.match(response.json().reason, /overmind bootstrap/)
      assert.ok(response.headers['retry-after'])
    })
  })

  describe('when the password is wrong', () => {
    const wrong = 'wrong-sentinel-password-1d9c'
    // A user name of its own: wrong passwords for the shared admin would lock it out (CouchDB 3.4).
    const wrongUser = `wrong-${randomUUID()}`
    let app: FastifyInstance
    before(async () => {
      const database = couch.uniqueDatabaseName('wrong-password')
      await createDatabase(couch, database)
      app = await createApp({ store: createCouchStore({ couch: { url: couch.url, username: wrongUser, password: wrong, database, requestTimeoutMs: 2000 } }) })
    })
    after(async () => { await app.close() })

    it('then clients get 503 brain_damaged without the password, the URL or the user name', async () => {
      const response = await app.inject({ method: 'GET', url: '/zerglings/' })
      assert.equal(response.statusCode, 503)
      assert.equal(response.json().error, 'brain_damaged')
      for (const secret of [wrong, couch.url, couch.password]) assert.ok(!response.body.includes(secret))
      assert.equal((await app.inject({ method: 'GET', url: '/_health' })).json().health.brain, 'damaged')
    })
  })
})
