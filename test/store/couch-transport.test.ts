// The CouchDB store when CouchDB takes connections but answers nothing (the double's freeze(), a
// partition): the readiness check's own deadline, the circuit breaker, the patient read that the
// breaker gives up, and recovery after the thaw. A real CouchDB cannot be frozen from here, so
// these run on the double only.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'
import type { CouchDouble } from '../support/couch-double/index.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import { isStoreError, type StoreErrorKind } from '../../src/store/store-error.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

const real = process.env.COUCHDB_TEST_URL !== undefined && process.env.COUCHDB_TEST_URL !== ''
const skip = real ? 'needs the double\'s freeze(); COUCHDB_TEST_URL points at a real CouchDB' : false

async function failure (promise: Promise<unknown>, kind: StoreErrorKind): Promise<{ error: Error, ms: number }> {
  const started = Date.now()
  const error = await promise.then(() => undefined, (rejection: unknown) => rejection)
  assert.ok(isStoreError(error, kind), `expected StoreError ${kind}, got ${inspect(error)}`)
  return { error, ms: Date.now() - started }
}

describe('the CouchDB store when CouchDB stops answering', { skip }, () => {
  let couch: TestCouch
  let double: CouchDouble
  let database: string
  before(async () => {
    couch = await startTestCouch()
    double = couch.double!
    database = couch.uniqueDatabaseName('frozen')
    const response = await fetch(`${couch.url}/${database}`, { method: 'PUT', headers: { authorization: `Basic ${Buffer.from(`${couch.username}:${couch.password}`).toString('base64')}` } })
    assert.equal(response.status, 201)
  })
  after(async () => {
    double.thaw()
    await couch.close()
  })

  function storeWithTimeout (requestTimeoutMs: number): ZerglingStore {
    return createCouchStore({ couch: { url: couch.url, username: couch.username, password: couch.password, database, requestTimeoutMs } })
  }

  async function thawAndRecover (store: ZerglingStore): Promise<void> {
    double.thaw()
    const deadline = Date.now() + 10_000
    while (!(await store.check()).ok) {
      assert.ok(Date.now() < deadline, 'the store recovers after the thaw')
      await sleep(200)
    }
  }

  it('when CouchDB freezes, then each readiness check gives up after 1 s, not the 5 s call timeout, and the third opens the breaker so the next answers at once', async () => {
    const store = storeWithTimeout(5000)
    await store.check()
    double.freeze()
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now()
        const status = await store.check()
        assert.equal(status.ok === false && status.kind, 'unavailable')
        assert.match(status.ok === false ? status.reason : '', /did not answer within 1000 ms/)
        assert.ok(Date.now() - started < 2500, `a check took ${Date.now() - started} ms`)
      }
      const started = Date.now()
      const status = await store.check()
      assert.match(status.ok === false ? status.reason : '', /stopped answering: 3 calls in a row/)
      assert.ok(Date.now() - started < 500, `with the breaker open a check took ${Date.now() - started} ms`)
      const { ms } = await failure(store.get(randomUUID(), 'none'), 'unavailable')
      assert.ok(ms < 500, `with the breaker open a call took ${ms} ms`)
    } finally {
      await thawAndRecover(store)
      await store.close()
    }
  })

  it('when a write\'s answer is lost and the breaker opens during the patient read, then the command fails at once with outcome_unknown, and the late write is there after the thaw', async () => {
    const timeoutMs = 500
    const store = storeWithTimeout(timeoutMs)
    // Spawned by another replica, so this store reads it before writing (it remembers nothing).
    const spawner = storeWithTimeout(timeoutMs)
    const { id } = (await spawner.spawn()).result
    await spawner.close()
    // CouchDB freezes as soon as it has answered the command's read: the write then hangs.
    const log = double.requests
    let frozen = false
    double.requests = Object.assign(log, {
      push (...items: typeof log) {
        if (!frozen && items.some((r) => r.method === 'GET' && r.path.endsWith(`/${id}`))) {
          frozen = true
          double.freeze()
        }
        return Array.prototype.push.apply(log, items)
      }
    })
    try {
      const command = failure(store.command(id, { commands: ['M'], history: 'none' }), 'outcome_unknown')
      await sleep(100)
      // Two more calls that time out: with the write's, three in a row.
      const others = [failure(store.get(randomUUID(), 'none'), 'unavailable'), failure(store.get(randomUUID(), 'none'), 'unavailable')]
      const { error, ms } = await command
      await Promise.all(others)
      // Without the breaker the patient read would wait 4 × 500 ms after the write's 500 ms.
      assert.ok(ms < 2000, `the command answered after ${ms} ms`)
      assert.match(error.message, /Idempotency-Key/)
    } finally {
      await thawAndRecover(store)
    }
    const zergling = await store.get(id, 'all')
    assert.deepEqual(zergling.commandHistory, ['M'], 'the write CouchDB got before freezing took effect late')
    await store.close()
  })
})
