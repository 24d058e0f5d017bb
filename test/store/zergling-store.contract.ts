// One contract, every store (as PouchDB runs one suite over its adapters): each store file calls
// `zerglingStoreContract` with a fixture factory; every test gets its own empty database.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { applyCommands, DomainError, parseCommands, spawnZergling, type Zergling } from '../../src/domain/index.js'
import { encodeCursor } from '../../src/store/list-cursor.js'
import { isStoreError, type StoreErrorKind } from '../../src/store/store-error.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'

export interface StoreFixture {
  /** A new store instance on this fixture's database; several of them act like replicas. */
  open (): Promise<ZerglingStore>
  /** Writes a document straight into the database, past the store. */
  putRaw (doc: { _id: string } & Record<string, unknown>): Promise<void>
  /** Reads a document straight from the database. */
  getRaw (id: string): Promise<Record<string, unknown>>
  /** Closes whatever `open` opened and removes the database. */
  destroy (): Promise<void>
}

export function zerglingStoreContract (name: string, createFixture: () => Promise<StoreFixture>): void {
  describe(`the ZerglingStore contract on ${name}`, () => {
    let fixture: StoreFixture
    let store: ZerglingStore

    beforeEach(async () => {
      fixture = await createFixture()
      store = await fixture.open()
    })
    afterEach(async () => { await fixture.destroy() })

    async function spawn (count: number): Promise<string[]> {
      const ids = Array.from({ length: count }, () => randomUUID())
      for (const id of ids) await store.create(spawnZergling(id))
      return ids.sort()
    }

    const move = (letters: string) => (current: Zergling): Zergling => applyCommands(current, parseCommands(letters))

    it('when a zergling is created, then get returns it with a first revision', async () => {
      const id = randomUUID()
      const created = await store.create(spawnZergling(id))
      const read = await store.get(id)
      assert.match(created.rev, /^1-/)
      assert.deepEqual(read, { ...spawnZergling(id), rev: created.rev })
    })

    it('when a zergling is stored, then its document has the original service\'s shape', async () => {
      const [id] = await spawn(1)
      const { rev } = await store.update(id!, move('ML'))
      assert.deepEqual(await fixture.getRaw(id!), {
        _id: id, _rev: rev, location: { x: 0, y: 1 }, facing: 'W', commandHistory: ['M', 'L']
      })
    })

    it('when an id is created twice, then the second create is a conflict and the first stays', async () => {
      const [id] = await spawn(1)
      await store.update(id!, move('M'))
      await assertStoreError(store.create(spawnZergling(id!)), 'conflict')
      assert.deepEqual((await store.get(id!)).location, { x: 0, y: 1 })
    })

    it('when an id is unknown, then get, update and remove say not_found', async () => {
      const id = randomUUID()
      await assertStoreError(store.get(id), 'not_found')
      await assertStoreError(store.update(id, move('M')), 'not_found')
      await assertStoreError(store.remove(id), 'not_found')
    })

    it('when an id is a CouchDB path rather than a zergling id, then it is not_found and nothing is touched', async () => {
      await fixture.putRaw({ _id: '_design/x', views: {} })
      for (const id of ['_all_docs', '_design/x', '../x', 'a/b', '_changes', '%2F']) {
        await assertStoreError(store.get(id), 'not_found')
        await assertStoreError(store.update(id, move('M')), 'not_found')
        await assertStoreError(store.remove(id), 'not_found')
      }
      assert.match(String((await fixture.getRaw('_design/x'))._rev), /^1-/, 'the design doc was written to')
    })

    it('when the database is empty, then list returns no zerglings and no next', async () => {
      assert.deepEqual(await store.list({ limit: 10 }), { zerglings: [] })
    })

    it('when zerglings span more than two pages, then paging returns each once in id order', async () => {
      const ids = await spawn(7)
      const pages = await collectPages(store, 3)
      assert.deepEqual(pages.map((page) => page.length), [3, 3, 1])
      assert.deepEqual(pages.flat(), ids)
    })

    it('when the last page is exactly full, then it has no next', async () => {
      await spawn(4)
      const first = await store.list({ limit: 2 })
      const second = await store.list({ limit: 2, cursor: first.next })
      assert.equal(second.zerglings.length, 2)
      assert.equal(second.next, undefined)
    })

    it('when design docs and other documents sit among the zerglings, then list skips them and still fills the page', async () => {
      const ids = await spawn(5)
      await fixture.putRaw({ _id: '_design/x', views: {} })
      // '-' sorts before every hex digit: these come first, inside the first page's window.
      for (const junk of ['0-junk-a', '0-junk-b', '0-junk-c']) await fixture.putRaw({ _id: junk, location: { x: 0, y: 0 }, facing: 'N' })
      await fixture.putRaw({ _id: 'zzz-not-a-zergling', hello: 'world' })
      const first = await store.list({ limit: 2 })
      assert.equal(first.zerglings.length, 2)
      const pages = await collectPages(store, 2)
      assert.deepEqual(pages.flat(), ids)
    })

    it('when the last id of a page is deleted before the next page, then the next page neither repeats nor skips', async () => {
      const ids = await spawn(5)
      const first = await store.list({ limit: 2 })
      await store.remove(ids[1]!)
      const second = await store.list({ limit: 2, cursor: first.next })
      assert.deepEqual(second.zerglings.map((z) => z.id), [ids[2], ids[3]])
    })

    it('when a cursor was not handed out by the store, then list says invalid_cursor', async () => {
      await spawn(1)
      for (const cursor of ['not a cursor', '', encodeCursor('_design/x'), Buffer.from('a'.repeat(36)).toString('base64url')]) {
        await assertStoreError(store.list({ limit: 2, cursor }), 'invalid_cursor')
      }
    })

    it('when update is called, then the change is applied, stored and the revision bumped', async () => {
      const [id] = await spawn(1)
      const updated = await store.update(id!, move('MRM'))
      assert.deepEqual({ ...updated, rev: undefined }, { id, location: { x: 1, y: 1 }, facing: 'E', commandHistory: ['M', 'R', 'M'], rev: undefined })
      assert.match(updated.rev, /^2-/)
      assert.deepEqual(await store.get(id!), updated)
    })

    it('when the change throws a DomainError, then it propagates unchanged and nothing is stored', async () => {
      const [id] = await spawn(1)
      const before = await store.get(id!)
      const rejection = new DomainError('invalid_command', 'no')
      await assert.rejects(store.update(id!, () => { throw rejection }), (error) => error === rejection)
      assert.deepEqual(await store.get(id!), before)
    })

    it('when 30 updates race on one zergling from three replicas, then every one lands exactly once', async () => {
      const [id] = await spawn(1)
      const replicas = [store, await fixture.open(), await fixture.open()]
      const results = await Promise.all(Array.from({ length: 30 }, async (_, i) => await replicas[i % 3]!.update(id!, move('M'))))
      const final = await store.get(id!)
      assert.deepEqual(final.location, { x: 0, y: 30 })
      assert.equal(final.commandHistory.length, 30)
      assert.match(final.rev, /^31-/)
      assert.deepEqual(results.map((r) => r.location.y).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1))
    })

    it('when a zergling is removed, then remove returns its last state and get says not_found', async () => {
      const [id] = await spawn(1)
      const last = await store.update(id!, move('M'))
      assert.deepEqual(await store.remove(id!), last)
      await assertStoreError(store.get(id!), 'not_found')
      assert.deepEqual((await store.list({ limit: 10 })).zerglings, [])
    })

    it('when a zergling is removed twice, then the second remove says not_found', async () => {
      const [id] = await spawn(1)
      await store.remove(id!)
      await assertStoreError(store.remove(id!), 'not_found')
    })

    it('when the store is open, then check says ok', async () => {
      assert.deepEqual(await store.check(), { ok: true })
    })
  })
}

async function collectPages (store: ZerglingStore, limit: number): Promise<string[][]> {
  const pages: string[][] = []
  let cursor: string | undefined
  do {
    const page = await store.list({ limit, cursor })
    pages.push(page.zerglings.map((z) => z.id))
    cursor = page.next
    assert.ok(pages.length <= 100, 'paging does not end')
  } while (cursor !== undefined)
  return pages
}

export async function assertStoreError (promise: Promise<unknown>, kind: StoreErrorKind): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(isStoreError(error), `expected a StoreError ${kind}, got ${String(error)}`)
    assert.equal(error.kind, kind)
    return true
  })
}
