// The 3.4 auth lockout beyond what auth-lockout*.json show: which failures count (authFailures),
// threshold and max_lifetime from the config, per-node tables, and no lockout before 3.4.
// https://docs.couchdb.org/en/stable/config/auth.html#chttpd_auth_lockout
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startCouchDouble, type CouchDouble, type CouchDoubleOptions } from './index.js'
import { basic, call } from './double-fetch.js'

const ADMIN = basic('admin', 'double-admin-password')
const WRONG = basic('admin', 'not-the-password')
const doubles: CouchDouble[] = []
async function double (options: CouchDoubleOptions = {}): Promise<CouchDouble> {
  const started = await startCouchDouble(options)
  doubles.push(started)
  return started
}
after(async () => { await Promise.all(doubles.map(async (d) => await d.close())) })

const statuses = async (url: string, auth: string, times: number): Promise<number[]> => {
  const seen: number[] = []
  for (let i = 0; i < times; i++) seen.push((await call(url, 'GET', '/_session', { auth })).status)
  return seen
}
const logIn = async (url: string, name: string, password: string): Promise<number> =>
  (await call(url, 'POST', '/_session', { body: { name, password } })).status

describe('the auth lockout of a 3.4.3 double', () => {
  test('when an unknown name fails Basic auth then it is a 401 that counts nothing, while POST /_session counts it and locks it after 5', async () => {
    const couch = await double()
    const stranger = `wrong-${randomUUID()}`
    assert.deepEqual(await statuses(couch.url, basic(stranger, 'x'), 7), [401, 401, 401, 401, 401, 401, 401])
    assert.equal(couch.authFailures, 0)
    const attempts = []
    for (let i = 0; i < 6; i++) attempts.push(await logIn(couch.url, stranger, 'x'))
    assert.deepEqual(attempts, [401, 401, 401, 401, 401, 403])
    assert.equal(couch.authFailures, 5, 'the 403 checks no password')
    couch.resetCounters()
    assert.equal(couch.authFailures, 0)
  })

  test('when the threshold is lowered at runtime then the next failures lock sooner', async () => {
    const couch = await double()
    await call(couch.url, 'PUT', '/_node/_local/_config/chttpd_auth_lockout/threshold', { auth: ADMIN, body: '2' })
    assert.deepEqual(await statuses(couch.url, WRONG, 3), [401, 401, 403])
  })

  test('when max_lifetime is set then it applies from the next node start, which also forgets the earlier failures', async () => {
    const couch = await double()
    await call(couch.url, 'PUT', '/_node/_local/_config/chttpd_auth_lockout/max_lifetime', { auth: ADMIN, body: '1500' })
    assert.deepEqual(await statuses(couch.url, WRONG, 6), [401, 401, 401, 401, 401, 403])
    await sleep(1600)
    assert.deepEqual(await statuses(couch.url, ADMIN, 1), [403], 'max_lifetime is read at start only')
    await couch.stopNode(0)
    await couch.startNode(0)
    // fetch's pooled keep-alive socket died with the old listener: the first request after a
    // restart fails, as against a restarted CouchDB.
    await fetch(`${couch.url}/_up`).catch(() => {})
    assert.deepEqual(await statuses(couch.url, ADMIN, 1), [200], 'the restart forgot the failures')
    assert.deepEqual(await statuses(couch.url, WRONG, 6), [401, 401, 401, 401, 401, 403])
    await sleep(1600)
    assert.deepEqual(await statuses(couch.url, ADMIN, 1), [200], 'expired max_lifetime after the first failure')
  })

  test('when the admin is locked out on node 1 then node 2 (its own table) still lets it in', async () => {
    const couch = await double({ nodes: 2 })
    assert.deepEqual(await statuses(couch.url, WRONG, 6), [401, 401, 401, 401, 401, 403])
    assert.deepEqual(await statuses(couch.urls[1], ADMIN, 1), [200])
  })

  test('when the mode is an unknown word then the lockout is off', async () => {
    const couch = await double()
    await call(couch.url, 'PUT', '/_node/_local/_config/chttpd_auth_lockout/mode', { auth: ADMIN, body: 'strict' })
    assert.deepEqual(await statuses(couch.url, WRONG, 7), [401, 401, 401, 401, 401, 401, 401])
    await call(couch.url, 'DELETE', '/_node/_local/_config/chttpd_auth_lockout/mode', { auth: ADMIN })
    assert.deepEqual(await statuses(couch.url, ADMIN, 1), [200], 'off counted nothing')
  })
})

describe('doubles before 3.4', () => {
  for (const version of ['1.6.1', '2.3.1'] as const) {
    test(`when CouchDB ${version} sees many wrong passwords then it never locks the admin out`, async () => {
      const couch = await double({ version })
      assert.deepEqual(await statuses(couch.url, WRONG, 7), [401, 401, 401, 401, 401, 401, 401])
      assert.deepEqual(await statuses(couch.url, ADMIN, 1), [200])
      assert.equal(couch.authFailures, 7)
    })
  }
})
