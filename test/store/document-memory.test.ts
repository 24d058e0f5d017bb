// A CouchDB replica's memory of the zerglings it wrote or read (document-memory.ts): a command on
// one of them is one round trip, a stale memory costs one 409 and one read, a read of one is a
// conditional GET (304 without a body while it is current), and nothing CouchDB did not
// acknowledge as current is ever written on or answered. Counted at a proxy in front of CouchDB (the
// double, or a real one with COUCHDB_TEST_URL), so what is counted is what went over the wire.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createCouchStore, type CouchStoreOptions } from '../../src/store/couch-store.js'
import { createDocumentMemory } from '../../src/store/document-memory.js'
import { StoreError } from '../../src/store/store-error.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { startCouchProxy, type CouchProxy } from '../support/couch-proxy.js'
import { startTestCouch } from '../support/test-couch.js'
import type { ZerglingRecord } from '../../src/store/zergling-document.js'
import { send } from './support/send.js'

const couch = await startTestCouch()
after(async () => { await couch.close() })

describe('a CouchDB replica that remembers what it wrote', () => {
  let proxy: CouchProxy
  let database: string
  const stores: ZerglingStore[] = []
  const open = (options: Omit<CouchStoreOptions, 'couch'> = {}): ZerglingStore => {
    const store = createCouchStore({ couch: { url: proxy.url, username: couch.username, password: couch.password, database, requestTimeoutMs: 5000 }, ...options })
    stores.push(store)
    return store
  }
  /** A zergling `here` wrote ('M') and remembers, then `there` moved on ('L'). */
  const movedByAnother = async (): Promise<{ here: ZerglingStore, there: ZerglingStore, id: string }> => {
    const here = open()
    const there = open()
    const { id } = (await here.spawn()).result
    await send(here, id, 'M')
    await send(there, id, 'L')
    return { here, there, id }
  }
  /** The requests for the zergling's own document since `from`, as `METHOD status`. */
  const trafficFor = (id: string, from: number): string[] => proxy.requests.slice(from).filter((r) => r.path.endsWith(`/${id}`)).map((r) => `${r.method} ${r.status}`)

  before(async () => {
    proxy = await startCouchProxy(couch.url)
    database = couch.uniqueDatabaseName('memory')
    const created = await fetch(`${couch.url}/${database}`, { method: 'PUT', headers: { authorization: `Basic ${Buffer.from(`${couch.username}:${couch.password}`).toString('base64')}` } })
    assert.equal(created.status, 201)
  })
  after(async () => {
    for (const store of stores) await store.close()
    await proxy.close()
  })

  it('when it commands a zergling it spawned or commanded last, then each command is one PUT and no read', async () => {
    const store = open()
    const { id } = (await store.spawn()).result
    const from = proxy.requests.length
    for (const letters of ['M', 'R', 'M']) await send(store, id, letters)
    assert.deepEqual(trafficFor(id, from), ['PUT 201', 'PUT 201', 'PUT 201'])
    assert.equal((await store.get(id, 'all')).commandHistory!.join(''), 'MRM')
  })

  it('when another replica wrote the zergling meanwhile, then the command costs one 409 and one read, and every command is stored once', async () => {
    const { here, there, id } = await movedByAnother()
    const from = proxy.requests.length
    const answer = await send(here, id, 'M')
    assert.deepEqual(trafficFor(id, from), ['PUT 409', 'GET 200', 'PUT 201'])
    assert.equal(answer.historyLength, 3)
    assert.equal((await there.get(id, 'all')).commandHistory!.join(''), 'MLM')
  })

  it('when CouchDB took its write without a quorum of copies (202), then its next command reads first', async () => {
    const store = open()
    const { id } = (await store.spawn()).result
    await send(store, id, 'M')
    proxy.acceptWithoutQuorum(1)
    await send(store, id, 'R')
    const from = proxy.requests.length
    await send(store, id, 'M')
    assert.deepEqual(trafficFor(id, from), ['GET 200', 'PUT 201'])
    assert.equal((await store.get(id, 'all')).commandHistory!.join(''), 'MRM')
  })

  it('when the answer to its write was lost, then its next command reads first, and the command is stored once', async () => {
    let cutNext = false
    const store = open({
      wrapBackend: (backend) => ({
        ...backend,
        putDocument: async (doc) => {
          const rev = await backend.putDocument(doc)
          if (!cutNext) return rev
          cutNext = false
          throw new StoreError('unavailable', 'the answer was cut off', { ambiguous: true })
        }
      })
    })
    const { id } = (await store.spawn()).result
    await send(store, id, 'M')
    cutNext = true
    await send(store, id, 'R')
    const from = proxy.requests.length
    await send(store, id, 'M')
    assert.deepEqual(trafficFor(id, from), ['GET 200', 'PUT 201'])
    assert.equal((await store.get(id, 'all')).commandHistory!.join(''), 'MRM')
  })

  it('when a command carries an Idempotency-Key the replica has not seen, then it asks CouchDB first (the key may be on a branch it has not seen; a 304 says there is no other branch), and a repeat replays without writing', async () => {
    const store = open()
    const { id } = (await store.spawn()).result
    await send(store, id, 'M')
    const from = proxy.requests.length
    const first = await send(store, id, 'LM', 'key-1')
    assert.deepEqual(trafficFor(id, from), ['GET 304', 'PUT 201'])
    const again = proxy.requests.length
    const repeat = await send(store, id, 'LM', 'key-1')
    assert.deepEqual(trafficFor(id, again).filter((request) => request.startsWith('PUT')), [], 'a repeat writes nothing')
    assert.deepEqual({ location: repeat.location, length: repeat.historyLength }, { location: first.location, length: first.historyLength })
  })

  it('when it reads a zergling it holds and nobody moved it, then CouchDB answers 304 without a body and the answer is the one a full read gives', async () => {
    const store = open()
    const { id } = (await store.spawn()).result
    await send(store, id, 'MRM')
    const from = proxy.requests.length
    const remembered = await store.get(id, 'all')
    assert.deepEqual(trafficFor(id, from), ['GET 304'])
    const fresh = open()
    const full = proxy.requests.length
    assert.deepEqual(remembered, await fresh.get(id, 'all'))
    assert.deepEqual(trafficFor(id, full), ['GET 200'], 'a replica that holds nothing reads the document')
  })

  it('when another replica moved the zergling, then the read gets the new document, not the one it holds', async () => {
    const { here, id } = await movedByAnother()
    const from = proxy.requests.length
    const read = await here.get(id, 'all')
    assert.deepEqual(trafficFor(id, from), ['GET 200'])
    assert.equal(read.commandHistory!.join(''), 'ML')
  })

  it('when a conflicting branch reached CouchDB without moving the winner it holds, then its read is a full one and merges the branch in', async () => {
    const auth = { authorization: `Basic ${Buffer.from(`${couch.username}:${couch.password}`).toString('base64')}`, 'content-type': 'application/json' }
    const side = couch.uniqueDatabaseName('memory-side')
    assert.equal((await fetch(`${couch.url}/${side}`, { method: 'PUT', headers: auth })).status, 201)
    /** Every live leaf of the zergling in `from`, written into `to` as replication does (new_edits: false). */
    const replicate = async (from: string, to: string, id: string): Promise<void> => {
      const winner = await (await fetch(`${couch.url}/${from}/${id}?conflicts=true&revs=true`, { headers: auth })).json() as Record<string, unknown> & { _conflicts?: string[] }
      const { _conflicts: losers = [], ...shown } = winner
      const docs = [shown]
      for (const rev of losers) docs.push(await (await fetch(`${couch.url}/${from}/${id}?rev=${rev}&revs=true`, { headers: auth })).json() as Record<string, unknown>)
      assert.equal((await fetch(`${couch.url}/${to}/_bulk_docs`, { method: 'POST', headers: auth, body: JSON.stringify({ new_edits: false, docs }) })).status, 201)
    }
    try {
      const here = open()
      const cutOff = createCouchStore({ couch: { url: proxy.url, username: couch.username, password: couch.password, database: side, requestTimeoutMs: 5000 } })
      stores.push(cutOff)
      const { id } = (await here.spawn()).result
      await send(here, id, 'M')
      await replicate(database, side, id)
      // This side's branch is longer, so it stays CouchDB's winner: the revision `here` holds.
      await send(here, id, 'R')
      await send(here, id, 'M')
      await send(cutOff, id, 'L')
      await replicate(side, database, id)
      const from = proxy.requests.length
      const merged = await here.get(id, 'all')
      assert.deepEqual(trafficFor(id, from)[0], 'GET 200', 'no 304 while the document has another leaf')
      assert.deepEqual([...merged.commandHistory!].sort(), ['L', 'M', 'M', 'R'])
      const leaves = await (await fetch(`${couch.url}/${database}/${id}?conflicts=true`, { headers: auth })).json() as { _conflicts?: string[] }
      assert.equal(leaves._conflicts, undefined, 'the branch was merged in')
    } finally {
      await fetch(`${couch.url}/${side}`, { method: 'DELETE', headers: auth })
    }
  })

  it('when it deletes a zergling, then a command on it answers not_found, not a write on the remembered revision', async () => {
    const store = open()
    const { id } = (await store.spawn()).result
    await send(store, id, 'M')
    await store.remove(id, 'none')
    await assert.rejects(send(store, id, 'M'), (error: unknown) => error instanceof StoreError && error.kind === 'not_found')
  })
})

describe('the memory itself', () => {
  const record = (id: string, rev: string, commands = ''): ZerglingRecord => ({
    state: { id, location: { x: 0, y: 0 }, facing: 'N' }, rev, recentCommands: commands, archivedChunks: 0, idempotency: [], recentWrites: [], absorbed: [], mergeTombstones: []
  })

  it('when more zerglings are remembered than it may hold, then the least recently used go first', () => {
    const memory = createDocumentMemory({ documents: 2, bytes: 1_000_000 })
    memory.remember(record('a', '1-a'))
    memory.remember(record('b', '1-b'))
    memory.recall('a')
    memory.remember(record('c', '1-c'))
    assert.deepEqual(['a', 'b', 'c'].map((id) => memory.recall(id)?.rev), ['1-a', undefined, '1-c'])
  })

  it('when the remembered documents outgrow its bytes, then it keeps fewer of them', () => {
    const memory = createDocumentMemory({ documents: 1000, bytes: 10_000 })
    for (let i = 0; i < 100; i++) memory.remember(record(`z${i}`, '1-x', 'M'.repeat(900)))
    assert.ok(memory.size > 0 && memory.size < 10, `${memory.size} documents of ~2 KB in 10 KB`)
  })

  it('when an older revision of a zergling arrives after a newer one, then the newer one stays', () => {
    const memory = createDocumentMemory()
    memory.remember(record('a', '3-c'))
    memory.remember(record('a', '2-b'))
    assert.equal(memory.recall('a')?.rev, '3-c')
  })
})
