import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, describe, it } from 'node:test'
import PouchDB from 'pouchdb'
import { openDocumentCache } from '../../src/store/document-cache.js'
import { guardedLeveldown } from '../../src/store/guarded-leveldown.js'
import { REVISIONS_KEPT } from '../../src/store/open-pouch.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { changesContract } from './changes.contract.js'
import { conflictsContract } from './conflicts.contract.js'
import { deletesContract } from './deletes.contract.js'
import { pinnedRevisionsContract } from './pinned-revisions.contract.js'
import { zerglingStoreContract, type StoreFixture } from './zergling-store.contract.js'

const root = await mkdtemp(join(tmpdir(), 'overmind-pouch-'))
after(async () => { await rm(root, { recursive: true, force: true }) })

async function createFixture (): Promise<StoreFixture> {
  const dataDir = await mkdtemp(join(root, 'store-'))
  const database = 'zerglings'
  const stores: ZerglingStore[] = []
  const partitions: StoreFixture[] = []
  // Shares the leveldb handle with the stores (PouchDB keeps one per leveldown and path).
  const raw = new PouchDB(join(dataDir, database), { db: guardedLeveldown } as PouchDB.Configuration.DatabaseConfiguration)
  // PouchDB opens lazily; one still opening when the shared handle closes never settles its close.
  await raw.info()
  return {
    async open (options) {
      const store = await createPouchStore({ dataDir, database, ...options })
      stores.push(store)
      return store
    },
    async putRaw (doc) { await raw.put(doc) },
    async getRaw (id, query = {}) { return await raw.get(id, query) as unknown as Record<string, unknown> },
    async rawIds () { return (await raw.allDocs()).rows.map((row) => row.id) },
    async rawRevision (id) { return ((await raw.allDocs({ keys: [id] })).rows[0] as { value?: { rev: string } } | undefined)?.value?.rev },
    async putRevisions (docs) {
      await raw.bulkDocs(docs as Array<PouchDB.Core.PutDocument<object>>, { new_edits: false })
      // Written past the stores, which only ever see their own writes: their cache must forget these.
      const cache = openDocumentCache(resolve(dataDir, database))
      for (const doc of docs) cache.forget(String(doc._id))
      cache.release()
    },
    async partition () {
      const side = await createFixture()
      partitions.push(side)
      return side
    },
    async destroy () {
      for (const side of partitions) await side.destroy()
      for (const store of stores) await store.close()
      await raw.close().catch(() => {})
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}

zerglingStoreContract('the embedded PouchDB store', createFixture)
conflictsContract('the embedded PouchDB store', createFixture)
deletesContract('the embedded PouchDB store', createFixture)
changesContract('the embedded PouchDB store', createFixture)
pinnedRevisionsContract('the embedded PouchDB store', createFixture)

describe('the embedded PouchDB store', () => {
  it('when the data directory does not exist, then it is created and the store works', async () => {
    const dataDir = join(root, 'missing', 'nested')
    const store = await createPouchStore({ dataDir, database: 'zerglings' })
    try {
      assert.ok((await stat(dataDir)).isDirectory())
      const { id } = (await store.spawn()).result
      assert.equal((await store.get(id, 'all')).id, id)
    } finally {
      await store.close()
    }
  })

  it('when the store is closed and opened again, then the zerglings are still there', async () => {
    const dataDir = await mkdtemp(join(root, 'reopen-'))
    const first = await createPouchStore({ dataDir, database: 'zerglings' })
    const { id } = (await first.spawn()).result
    await first.close()
    const second = await createPouchStore({ dataDir, database: 'zerglings' })
    try {
      assert.equal((await second.get(id, 'all')).id, id)
    } finally {
      await second.close()
    }
  })

  it('when a zergling moved more often than the store keeps revisions, then every command is in its history once, its keys still replay, and its path holds only the newest revisions', async () => {
    const dataDir = await mkdtemp(join(root, 'revisions-'))
    const store = await createPouchStore({ dataDir, database: 'zerglings' })
    try {
      const { id } = (await store.spawn()).result
      const moves = REVISIONS_KEPT + 30
      for (let i = 0; i < moves; i++) await store.command(id, { commands: [i % 7 === 0 ? 'R' : 'M'], history: 'none', idempotencyKey: `key-${i}` })
      const replay = await store.command(id, { commands: ['M'], history: 'none', idempotencyKey: `key-${moves - 1}` })
      assert.equal(replay.replayed, true, 'a key of a write past the revision limit still replays')
      const zergling = await store.get(id, 'all')
      assert.equal(zergling.historyLength, moves)
      assert.deepEqual(zergling.commandHistory, Array.from({ length: moves }, (_, i) => i % 7 === 0 ? 'R' : 'M'))
      await store.close()
      const raw = new PouchDB(join(dataDir, 'zerglings'), { db: guardedLeveldown } as PouchDB.Configuration.DatabaseConfiguration)
      const doc = await raw.get(id, { revs: true }) as unknown as { _revisions: { start: number, ids: string[] } }
      assert.equal(doc._revisions.start, moves + 1)
      assert.equal(doc._revisions.ids.length, REVISIONS_KEPT, 'older revision ids are stemmed, as CouchDB does past _revs_limit')
      await raw.close()
    } finally {
      await store.close()
    }
  })

  it('when the store is closed, then check says unavailable without throwing', async () => {
    const store = await createPouchStore({ dataDir: await mkdtemp(join(root, 'closed-')), database: 'zerglings' })
    await store.close()
    const status = await store.check()
    assert.equal(status.ok, false)
    assert.equal(status.ok === false && status.kind, 'unavailable')
  })
})
