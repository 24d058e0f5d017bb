// The migration lock (src/bootstrap/migrations/lease.ts) on the double or on COUCHDB_TEST_URL's
// server: who waits, when a lease counts as expired, what a taken-over holder learns, and that a
// claim only a minority of copies took (202) or a conflicted lock never counts as held.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createCouchClient, type CouchClient } from '../../src/bootstrap/couch-client.js'
import { migrationDatabase, type MigrationDatabase } from '../../src/bootstrap/migrations/database.js'
import { acquireLease, LOCK_ID, type LeaseOptions } from '../../src/bootstrap/migrations/lease.js'
import { adminHeaders } from '../support/original-shape.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { LOSES, plantLeaf, WINS } from './conflicting-revisions.js'
import { stepContextOn } from './helpers.js'

describe('the migration lock (double, or COUCHDB_TEST_URL)', () => {
  let couch: TestCouch
  before(async () => { couch = await startTestCouch({ version: '3.4.3' }) })
  after(async () => { await couch.close() })

  async function freshDatabase (client?: CouchClient): Promise<{ db: MigrationDatabase, logs: string[], database: string }> {
    const database = couch.uniqueDatabaseName('lease')
    await (await fetch(`${couch.url}/${database}`, { method: 'PUT', headers: adminHeaders(couch) })).arrayBuffer()
    const logs: string[] = []
    return { db: migrationDatabase(stepContextOn(couch, database, logs, client)), logs, database }
  }
  const options = (logs: string[], leaseMs = 400): LeaseOptions => ({ leaseMs, log: (message) => { logs.push(message) }, sleep: async (ms) => { await new Promise((resolve) => setTimeout(resolve, ms)) } })

  it('when a run holds the lock and renews it, then another waits, saying who holds it, for as long as it is renewed, and takes it once it is released', async () => {
    const { db, logs } = await freshDatabase()
    const first = await acquireLease(db, 'pod-a/1/aaa', options(logs))
    let second: string | undefined
    const waiting = acquireLease(db, 'pod-b/1/bbb', options(logs)).then((lease) => { second = lease.owner; return lease })
    // Three leases long: renewed meanwhile, so never expired.
    await new Promise((resolve) => setTimeout(resolve, 1200))
    assert.equal(second, undefined, 'still waiting while the holder renews')
    assert.equal(logs.filter((line) => line.startsWith('waiting for the migration lock held by pod-a/1/aaa')).length, 1, 'said once')
    await first.release()
    const lease = await waiting
    assert.equal(second, 'pod-b/1/bbb')
    assert.equal(logs.some((line) => /not renewed/.test(line)), false, 'released, not expired')
    await lease.release()
  })

  it('when the holder died (its lock no longer renewed), then a waiter takes it over after one lease on its own clock and resumes at the page saved in it', async () => {
    const { db, logs } = await freshDatabase()
    // What a killed holder leaves: its owner, a lease, and where it was; the clock it wrote is a day off.
    const written = await db.write({ _id: LOCK_ID, owner: 'pod-dead/7/ddd', leaseMs: 300, renewedAt: '2026-01-01T00:00:00.000Z', migration: '001-zerglings-to-chunks', after: 'some-id' })
    assert.notEqual(written, 'conflict')
    const started = Date.now()
    const lease = await acquireLease(db, 'pod-b/1/bbb', options(logs, 300))
    assert.ok(Date.now() - started >= 300, 'not before a whole lease went by without a renewal')
    assert.deepEqual(lease.resumeAt, { migration: '001-zerglings-to-chunks', after: 'some-id' })
    assert.ok(logs.includes('the migration lock of pod-dead/7/ddd was not renewed for 300 ms: taking it over (resuming 001-zerglings-to-chunks after some-id).'), logs.join('\n'))
    await lease.release()
    assert.equal((await db.read(LOCK_ID))?.owner, null)
  })

  it('when another run took the lock over from a slow holder, then the holder learns it at its next renewal and stops at its next page', async () => {
    const { db, logs } = await freshDatabase()
    const lease = await acquireLease(db, 'pod-a/1/aaa', options(logs, 300))
    const current = await db.read(LOCK_ID)
    assert.notEqual(await db.write({ ...current!, owner: 'pod-b/1/bbb' }), 'conflict')
    await new Promise((resolve) => setTimeout(resolve, 400))
    assert.throws(() => { lease.assertHeld() }, /another run took the migration lock over: this one was too slow to renew it/)
    await lease.release()
    assert.equal((await db.read(LOCK_ID))?.owner, 'pod-b/1/bbb', 'releasing a lost lock leaves the new holder alone')
  })

  it('when a claim is answered 202 (fewer than a quorum of copies took it) or the lock is conflicted, then it does not count as held: the leaf is removed and the lock claimed again', async () => {
    let accepted = 0
    const real = createCouchClient(couch.url, 10_000)
    const degraded: CouchClient = {
      url: real.url,
      async request (method, path, requestOptions) {
        const answer = await real.request(method, path, requestOptions)
        // The first claim of the lock, as a cluster answers when only one copy took it.
        if (method === 'PUT' && path.endsWith(encodeURIComponent(LOCK_ID)) && answer.status === 201 && accepted++ === 0) return { ...answer, status: 202 }
        return answer
      }
    }
    const { db, logs, database } = await freshDatabase(degraded)
    // A released lock, and a losing leaf beside it: a claim another run made on one copy only.
    await plantLeaf(couch.url, { name: couch.username, password: couch.password }, database, { _id: LOCK_ID, owner: null, leaseMs: 400, renewedAt: '2026-01-01T00:00:00.000Z' }, WINS)
    await plantLeaf(couch.url, { name: couch.username, password: couch.password }, database, { _id: LOCK_ID, owner: 'pod-split/1/sss', leaseMs: 60_000, renewedAt: '2026-01-01T00:00:00.000Z' }, LOSES)
    const started = Date.now()
    const lease = await acquireLease(db, 'pod-a/1/aaa', options(logs))
    assert.ok(Date.now() - started < 30_000, 'the losing leaf\'s lease was not waited for')
    assert.equal(accepted, 2, 'claimed twice: the 202 claim was given up')
    assert.deepEqual(logs, [], 'nobody held it')
    const lock = await db.read(LOCK_ID, { conflicts: true })
    assert.equal(lock?.owner, 'pod-a/1/aaa')
    assert.equal(lock?._conflicts, undefined, 'no conflicting leaf is left')
    await lease.release()
  })
})
