// The double's test knobs: stop/start keeps data, latency, cut responses, the writes counter.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
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
