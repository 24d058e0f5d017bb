// The double's test knobs: stop/start keeps data, latency, cut responses, the writes counter,
// freeze/thaw (partitions).
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startCouchDouble, type CouchDouble } from './index.js'
import { basic, call } from './double-fetch.js'

const ADMIN = basic('admin', 'double-admin-password')

describe('the double knobs', () => {
  let couch: CouchDouble
  before(async () => { couch = await startCouchDouble() })
  after(async () => { await couch.close() })

  test('when stopped then requests fail, and when started again then the same port serves the same data', async () => {
    await call(couch.url, 'PUT', '/kept', { auth: ADMIN })
    await call(couch.url, 'PUT', '/kept/doc', { auth: ADMIN, body: { v: 1 } })
    await couch.stop()
    await assert.rejects(fetch(couch.url + '/_up'))
    await couch.start()
    assert.equal((await call(couch.url, 'GET', '/kept/doc', { auth: ADMIN })).body.v, 1)
  })

  test('when latency is set then every answer waits at least that long', async () => {
    couch.setLatency(120)
    const started = Date.now()
    await call(couch.url, 'GET', '/_up')
    couch.setLatency(0)
    assert.ok(Date.now() - started >= 110, `took ${Date.now() - started} ms`)
  })

  test('when the next responses are cut then those requests fail mid-response, the write still happens, and later ones succeed', async () => {
    await call(couch.url, 'PUT', '/cut', { auth: ADMIN })
    couch.cutNextResponses(1)
    await assert.rejects(call(couch.url, 'PUT', '/cut/doc', { auth: ADMIN, body: { v: 1 } }))
    const after = await call(couch.url, 'GET', '/cut/doc', { auth: ADMIN })
    assert.equal(after.status, 200)
    assert.equal(after.body.v, 1)
  })

  test('when a bootstrap-like sequence runs twice then the second run counts zero writes', async () => {
    const bootstrap = async (): Promise<void> => {
      if ((await call(couch.url, 'HEAD', '/app', { auth: ADMIN })).status === 404) await call(couch.url, 'PUT', '/app', { auth: ADMIN })
      const doc = await call(couch.url, 'GET', '/app/_design/app', { auth: ADMIN })
      if (doc.status === 404) await call(couch.url, 'PUT', '/app/_design/app', { auth: ADMIN, body: { views: {} } })
      await call(couch.url, 'PUT', '/app', { auth: ADMIN }) // 412: not a write
    }
    couch.resetCounters()
    await bootstrap()
    assert.equal(couch.writes, 2)
    couch.resetCounters()
    await bootstrap()
    assert.equal(couch.writes, 0)
    assert.deepEqual(couch.requests.map((r) => `${r.method} ${r.path} ${r.status}`), ['HEAD /app 200', 'GET /app/_design/app 200', 'PUT /app 412'])
  })
})

describe('the freeze knob', () => {
  let couch: CouchDouble
  before(async () => {
    couch = await startCouchDouble({ nodes: 2 })
    await call(couch.url, 'PUT', '/frozen', { auth: ADMIN })
  })
  after(async () => { await couch.close() })

  test('when node 1 is frozen then a write to it is neither answered nor applied until thaw, while node 2 answers', async () => {
    couch.freeze(0)
    let answered = false
    const pending = call(couch.url, 'PUT', '/frozen/held', { auth: ADMIN, body: { v: 1 } }).finally(() => { answered = true })
    await sleep(100)
    assert.equal((await call(couch.urls[1], 'GET', '/frozen/held', { auth: ADMIN })).status, 404)
    assert.equal(answered, false)
    couch.thaw(0)
    assert.equal((await pending).status, 201)
    assert.equal((await call(couch.urls[1], 'GET', '/frozen/held', { auth: ADMIN })).body.v, 1)
  })

  test('when a client gives up on a frozen node then it never sees an answer, but its write lands at thaw (a late write)', async () => {
    couch.freeze()
    const body = JSON.stringify({ v: 'late' })
    const outgoing = request(`${couch.url}/frozen/late`, { method: 'PUT', agent: false, headers: { authorization: ADMIN, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } })
    let answered = false
    outgoing.on('response', () => { answered = true })
    outgoing.on('error', () => {})
    outgoing.end(body)
    await new Promise((resolve) => outgoing.on('finish', resolve))
    await sleep(100) // the double reads it meanwhile (same process)
    outgoing.destroy()
    couch.thaw()
    let stored: unknown
    for (let tries = 0; tries < 50 && stored === undefined; tries++) {
      stored = (await call(couch.urls[1], 'GET', '/frozen/late', { auth: ADMIN })).body.v
      if (stored === undefined) await sleep(20)
    }
    assert.equal(stored, 'late')
    assert.equal(answered, false)
  })
})

describe('the double with a revision limit (the bench keeps fewer revisions than CouchDB\'s 1000)', () => {
  let couch: CouchDouble
  before(async () => { couch = await startCouchDouble({ revsLimit: 5 }) })
  after(async () => { await couch.close() })

  test('when a document was written more often than the limit, then revs=true lists only the newest revisions, as after PUT /{db}/_revs_limit', async () => {
    await call(couch.url, 'PUT', '/limited', { auth: ADMIN })
    let rev = (await call(couch.url, 'PUT', '/limited/doc', { auth: ADMIN, body: { v: 0 } })).body.rev as string
    for (let v = 1; v < 9; v++) rev = (await call(couch.url, 'PUT', '/limited/doc', { auth: ADMIN, body: { v, _rev: rev } })).body.rev as string
    const { body } = await call(couch.url, 'GET', '/limited/doc?revs=true', { auth: ADMIN })
    assert.equal(body._rev, rev)
    assert.equal(body._revisions.start, 9)
    assert.equal(body._revisions.ids.length, 5)
  })
})
