// `OVERMIND_READS=memory` (memory-watch.ts): a GET answered from the replica's memory while its own
// reading of CouchDB's changes feed vouches for it, never a state CouchDB did not hold, and another
// replica's change as soon as the feed brings it. Counted at a proxy in front of CouchDB (the
// double, or a real one with COUCHDB_TEST_URL), so "no read" means nothing went over the wire.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createCouchStore } from '../../src/store/couch-store.js'
import { isStoreError } from '../../src/store/store-error.js'
import type { StoredZergling, ZerglingStore } from '../../src/store/zergling-store.js'
import { startCouchProxy, type CouchProxy } from '../support/couch-proxy.js'
import { startTestCouch } from '../support/test-couch.js'
import { send } from './support/send.js'

const couch = await startTestCouch()
after(async () => { await couch.close() })

/** Generous for a loaded machine; the feed usually brings a change within tens of milliseconds. */
const FEED_DEADLINE_MS = 5000

async function eventually (check: () => Promise<boolean>, deadlineMs = FEED_DEADLINE_MS): Promise<boolean> {
  const until = Date.now() + deadlineMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > until) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('GETs answered from a replica\'s memory, vouched for by its changes feed', () => {
  let proxy: CouchProxy
  let database: string
  const stores: ZerglingStore[] = []
  const open = (readsFromMemory: boolean): ZerglingStore => {
    const store = createCouchStore({ couch: { url: proxy.url, username: couch.username, password: couch.password, database, requestTimeoutMs: 5000 }, readsFromMemory })
    stores.push(store)
    return store
  }
  /** Requests for the zergling's own document since `from`. */
  const readsOf = (id: string, from: number): number => proxy.requests.slice(from).filter((r) => r.path.endsWith(`/${id}`)).length
  /** Whether a GET now costs no request for the zergling's document. */
  const servedFromMemory = async (store: ZerglingStore, id: string): Promise<boolean> => {
    const from = proxy.requests.length
    await store.get(id, 'all')
    return readsOf(id, from) === 0
  }

  before(async () => {
    proxy = await startCouchProxy(couch.url)
    database = couch.uniqueDatabaseName('memory-reads')
    const created = await fetch(`${couch.url}/${database}`, { method: 'PUT', headers: { authorization: `Basic ${Buffer.from(`${couch.username}:${couch.password}`).toString('base64')}` } })
    assert.equal(created.status, 201)
  })
  after(async () => {
    for (const store of stores) await store.close()
    await proxy.close()
  })

  it('when a replica reads a zergling it commanded, then once its feed has shown that write, GETs cost CouchDB nothing and answer the stored state', async () => {
    const store = open(true)
    const { id } = (await store.spawn()).result
    await send(store, id, 'MRM')
    assert.ok(await eventually(async () => await servedFromMemory(store, id)), 'GETs come from memory once the feed has shown the write')
    const from = proxy.requests.length
    const answers: StoredZergling[] = []
    for (let i = 0; i < 20; i++) answers.push(await store.get(id, 'all'))
    assert.equal(readsOf(id, from), 0)
    for (const answer of answers) {
      assert.deepEqual({ location: answer.location, facing: answer.facing, history: answer.commandHistory?.join('') }, { location: { x: 1, y: 1 }, facing: 'E', history: 'MRM' })
    }
  })

  it('when a replica commands a zergling, then its next GET shows that command at once (its own writes are never behind)', async () => {
    const store = open(true)
    const { id } = (await store.spawn()).result
    for (const letters of ['M', 'M', 'R', 'M']) {
      const written = await send(store, id, letters)
      const read = await store.get(id, 'none')
      assert.equal(read.historyLength, written.historyLength)
      assert.equal(read.rev, written.rev)
    }
  })

  it('when a zergling was only read (another replica wrote it), then after one read from CouchDB the next GETs come from memory', async () => {
    const writer = open(false)
    const reader = open(true)
    const { id } = (await writer.spawn()).result
    await send(writer, id, 'LM')
    assert.ok(await eventually(async () => await servedFromMemory(reader, id)))
    assert.equal((await reader.get(id, 'all')).commandHistory!.join(''), 'LM')
  })

  it('when another replica moves or deletes the zergling, then this replica\'s GET shows it once its feed brings it, and never goes back to an older state', async () => {
    const here = open(true)
    const there = open(false)
    const { id } = (await here.spawn()).result
    await send(here, id, 'M')
    assert.ok(await eventually(async () => await servedFromMemory(here, id)))
    const lengths: number[] = []
    for (let moves = 1; moves <= 5; moves++) {
      await send(there, id, 'M')
      assert.ok(await eventually(async () => {
        const { historyLength } = await here.get(id, 'none')
        lengths.push(historyLength)
        return historyLength === 1 + moves
      }), `the move made through the other replica shows here (${lengths.slice(-3).join(', ')})`)
    }
    assert.deepEqual(lengths, [...lengths].sort((a, b) => a - b), 'each GET shows the same state as the one before it or a later one')
    await there.remove(id, 'none')
    assert.ok(await eventually(async () => {
      try {
        await here.get(id, 'none')
        return false
      } catch (error) {
        return isStoreError(error, 'not_found')
      }
    }), 'a delete made through the other replica shows here too')
  })

  it('when the replica cannot read the changes feed, then within a few seconds every GET reads CouchDB, and once it can again, GETs come from memory again', async () => {
    const store = open(true)
    const { id } = (await store.spawn()).result
    await send(store, id, 'R')
    assert.ok(await eventually(async () => await servedFromMemory(store, id)))
    proxy.refuseChanges(true)
    try {
      assert.ok(await eventually(async () => !await servedFromMemory(store, id)), 'without the feed, the memory is not trusted')
      const from = proxy.requests.length
      for (let i = 0; i < 5; i++) await store.get(id, 'none')
      assert.equal(readsOf(id, from), 5, 'each GET read CouchDB')
    } finally {
      proxy.refuseChanges(false)
    }
    assert.ok(await eventually(async () => await servedFromMemory(store, id), 15_000), 'the feed is read again, after its backoff')
  })

  it('when reads from memory are off (the default), then every GET reads CouchDB', async () => {
    const store = open(false)
    const { id } = (await store.spawn()).result
    await send(store, id, 'M')
    await new Promise((resolve) => setTimeout(resolve, 200))
    const from = proxy.requests.length
    for (let i = 0; i < 5; i++) await store.get(id, 'none')
    assert.equal(readsOf(id, from), 5)
  })
})
