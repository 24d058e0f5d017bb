// The latency model (for the bench): each request takes its kind's time at the number of
// requests in flight. Timing is checked from below only (a busy machine makes answers later,
// never earlier), with a model of slow, round figures; the depth is counted, not timed.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startCouchDouble, type CouchDouble } from './index.js'
import { basic, call } from './double-fetch.js'
import { COUCHDB_3_4, modelledMs, onCurve, requestKind, type LatencyModel } from './latency-model.js'

const ADMIN = basic('admin', 'double-admin-password')
// A write slow enough that ten sent at once are all in the queue before the first could leave,
// even on a busy machine (at 40 ms, one in twenty runs saw nine).
const WRITE_ONE = 150
const WRITE_TEN = 300
const SLOW: LatencyModel = {
  curves: { 'document-read': [20, 60, 200], 'document-write': [WRITE_ONE, WRITE_TEN, 900], 'all-docs': [20, 60, 200], session: [20, 60, 200], other: [1, 1, 1] },
  allDocsPerRow: [2, 4, 8]
}

async function timed<T> (action: () => Promise<T>): Promise<{ ms: number, value: T }> {
  const started = performance.now()
  const value = await action()
  return { ms: performance.now() - started, value }
}

describe('the latency model', () => {
  test('when the load is one of the calibrated points, then the curve gives that point, and in between it grows', () => {
    for (const curve of Object.values(COUCHDB_3_4.curves)) {
      assert.deepEqual([1, 10, 50].map((n) => Number(onCurve(curve, n).toFixed(6))), [...curve])
      assert.ok(onCurve(curve, 5) > curve[0] && onCurve(curve, 5) < curve[1])
      assert.ok(onCurve(curve, 100) > curve[2])
    }
  })

  test('when requests are classified, then documents, writes, _all_docs, sessions and the rest follow their own curves', () => {
    assert.equal(requestKind('GET', ['db', 'doc']), 'document-read')
    assert.equal(requestKind('HEAD', ['db', '_design', 'app']), 'document-read')
    assert.equal(requestKind('PUT', ['db', 'doc']), 'document-write')
    assert.equal(requestKind('POST', ['db']), 'document-write')
    assert.equal(requestKind('DELETE', ['db', '_local', 'x']), 'document-write')
    assert.equal(requestKind('GET', ['db', '_all_docs']), 'all-docs')
    assert.equal(requestKind('POST', ['_session']), 'session')
    assert.equal(requestKind('GET', ['db']), 'other')
    assert.equal(requestKind('POST', ['db', '_bulk_docs']), 'other')
    assert.equal(requestKind('GET', ['db', '_design', 'app', '_view', 'v']), 'other')
    assert.equal(requestKind('GET', ['db', '_changes']), undefined)
    assert.equal(modelledMs(SLOW, 'all-docs', 1, 10), 20 + 10 * 2)
  })
})

describe('the double with the latency model on', () => {
  let couch: CouchDouble
  before(async () => {
    couch = await startCouchDouble({ latencyModel: SLOW })
    await call(couch.url, 'PUT', '/slow', { auth: ADMIN })
    await call(couch.url, 'POST', '/slow/_bulk_docs', { auth: ADMIN, body: { docs: Array.from({ length: 40 }, (_, i) => ({ _id: `doc-${String(i).padStart(2, '0')}` })) } })
  })
  after(async () => { await couch.close() })

  test('when one PUT is in flight, then it takes at least the curve\'s time for one', async () => {
    couch.resetCounters()
    const { ms, value } = await timed(async () => await call(couch.url, 'PUT', '/slow/alone', { auth: ADMIN, body: {} }))
    assert.equal(value.status, 201)
    assert.equal(couch.deepestModelledQueue, 1)
    assert.ok(ms >= 0.9 * WRITE_ONE, `took ${ms.toFixed(1)} ms`)
  })

  // Processor sharing: ten in flight finish no faster, together, than the curve at ten says; the
  // first to arrive may leave sooner, as on a real server, but none faster than one alone would.
  test('when ten PUTs are in flight at once, then the double holds ten at once, each takes at least the time for one and all ten at least the time for ten', async () => {
    couch.resetCounters()
    const { ms: together, value: answers } = await timed(async () => await Promise.all(Array.from({ length: 10 }, async (_, i) =>
      await timed(async () => await call(couch.url, 'PUT', `/slow/ten-${i}`, { auth: ADMIN, body: {} })))))
    assert.deepEqual(answers.map(({ value }) => value.status), Array(10).fill(201))
    assert.equal(couch.deepestModelledQueue, 10)
    for (const { ms } of answers) assert.ok(ms >= 0.9 * WRITE_ONE, `took ${ms.toFixed(1)} ms`)
    assert.ok(together >= 0.9 * WRITE_TEN, `all ten took ${together.toFixed(1)} ms`)
  })

  test('when _all_docs answers more rows, then it takes longer by the per-row cost', async () => {
    const { ms, value } = await timed(async () => await call(couch.url, 'GET', '/slow/_all_docs?limit=40', { auth: ADMIN }))
    assert.equal(value.body.rows.length, 40)
    assert.ok(ms >= 0.9 * (20 + 40 * 2), `took ${ms.toFixed(1)} ms`)
  })

  test('when the model is turned off, then nothing is held any more', async () => {
    couch.setLatencyModel(undefined)
    couch.resetCounters()
    await call(couch.url, 'PUT', '/slow/unheld', { auth: ADMIN, body: {} })
    assert.equal(couch.deepestModelledQueue, 0)
    couch.setLatencyModel(SLOW)
  })
})
