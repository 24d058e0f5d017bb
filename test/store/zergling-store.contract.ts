// One contract, every store (as PouchDB runs one suite over its adapters): each store file calls
// `zerglingStoreContract` with a fixture factory; every test gets its own empty database.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { applyCommands, parseCommands, spawnZergling } from '../../src/domain/index.js'
import { IDEMPOTENCY_KEYS_KEPT } from '../../src/store/idempotency.js'
import { HISTORY_CHUNK_SIZE } from '../../src/store/zergling-document.js'
import { encodeCursor } from '../../src/store/cursors.js'
import { isStoreError, type StoreErrorKind } from '../../src/store/store-error.js'
import type { DocumentStoreOptions } from '../../src/store/document-store.js'
import type { StoredZergling, ZerglingStore } from '../../src/store/zergling-store.js'

export interface StoreFixture {
  /** A new store instance on this fixture's database; several of them act like replicas. */
  open (options?: DocumentStoreOptions): Promise<ZerglingStore>
  /** Writes a document straight into the database, past the store. */
  putRaw (doc: { _id: string } & Record<string, unknown>): Promise<void>
  /** Reads a document straight from the database (CouchDB's `revs`, `conflicts` and `rev` query). */
  getRaw (id: string, query?: { revs?: boolean, conflicts?: boolean, rev?: string }): Promise<Record<string, unknown>>
  /** The id of every live document, in `_all_docs` order. */
  rawIds (): Promise<string[]>
  /** The winning revision of a document, deleted or not (`_all_docs?keys=`), or undefined. */
  rawRevision (id: string): Promise<string | undefined>
  /**
   * Stores revisions as they are, with their `_revisions` path: what replication does
   * (`_bulk_docs` with `new_edits: false`), so two branches grown from one revision conflict.
   */
  putRevisions (docs: Array<Record<string, unknown>>): Promise<void>
  /** Another, empty database of the same kind: a node cut off from this one. Destroyed with it. */
  partition (): Promise<StoreFixture>
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
      const ids: string[] = []
      for (let i = 0; i < count; i++) ids.push((await store.spawn()).result.id)
      return ids.sort()
    }

    const send = async (on: ZerglingStore, id: string, letters: string, idempotencyKey?: string): Promise<StoredZergling> =>
      (await on.command(id, { commands: parseCommands(letters), history: 'all', idempotencyKey })).result

    it('when a zergling is spawned, then get returns it at (0,0) facing N with a first revision and no history', async () => {
      const { result: spawned, replayed } = await store.spawn()
      assert.equal(replayed, false)
      assert.match(spawned.rev, /^1-/)
      assert.deepEqual(await store.get(spawned.id, 'all'), { id: spawned.id, location: { x: 0, y: 0 }, facing: 'N', commandHistory: [], historyLength: 0, rev: spawned.rev })
    })

    it('when a zergling is stored, then its main document holds its state and a short tail of its history', async () => {
      const [id] = await spawn(1)
      const { rev } = await send(store, id!, 'ML')
      const { recentWrites, ...raw } = await fixture.getRaw(id!)
      assert.deepEqual(raw, { _id: id, _rev: rev, location: { x: 0, y: 1 }, facing: 'W', recentCommands: 'ML', archivedChunks: 0, born: 1 })
      assert.ok(Array.isArray(recentWrites) && recentWrites.length === 2, 'one token for the spawn, one for the command')
    })

    it('when a document has the original service\'s shape (a whole commandHistory), then it reads and takes commands', async () => {
      const id = randomUUID()
      await fixture.putRaw({ _id: id, location: { x: 0, y: 1 }, facing: 'W', commandHistory: ['M', 'L'] })
      assert.deepEqual((await store.get(id, 'all')).commandHistory, ['M', 'L'])
      const moved = await send(store, id, 'M')
      assert.deepEqual({ location: moved.location, history: moved.commandHistory }, { location: { x: -1, y: 1 }, history: ['M', 'L', 'M'] })
    })

    it('when chunks were written with the earlier id format (no revision), then they read, and new chunks follow in the new one', async () => {
      const id = randomUUID()
      const archived = 'MR'.repeat(500)
      await fixture.putRaw({ _id: `history:${id}:00000000`, zergling: id, index: 0, commands: archived })
      await fixture.putRaw({ _id: id, location: { x: 1, y: 0 }, facing: 'N', recentCommands: 'LM', archivedChunks: 1, recentWrites: ['plain-token'] })
      // The main document gives up a chunk once it holds two chunks' worth.
      const more = 'L'.repeat(2 * HISTORY_CHUNK_SIZE - 1)
      await send(store, id, more.slice(0, HISTORY_CHUNK_SIZE))
      await send(store, id, more.slice(HISTORY_CHUNK_SIZE))
      const last = await send(store, id, 'M')
      assert.equal(last.commandHistory!.join(''), archived + 'LM' + more + 'M')
      assert.equal((await store.history(id, { offset: 995, limit: 10 })).commands.join(''), (archived + 'LM' + more).slice(995, 1005))
      const chunks = (await fixture.rawIds()).filter((raw) => raw.startsWith(`history:${id}:`))
      assert.equal(chunks.length, 2)
      assert.match(chunks[1]!, new RegExp(`^history:${id}:00000001:\\d+-`))
    })

    it('when an id is unknown, then get, command, history and remove say not_found', async () => {
      const id = randomUUID()
      await assertStoreError(store.get(id, 'all'), 'not_found')
      await assertStoreError(send(store, id, 'M'), 'not_found')
      await assertStoreError(store.history(id, { offset: 0, limit: 10 }), 'not_found')
      await assertStoreError(store.remove(id, 'all'), 'not_found')
    })

    it('when an id is a CouchDB path rather than a zergling id, then it is not_found and nothing is touched', async () => {
      await fixture.putRaw({ _id: '_design/x', views: {} })
      const [id] = await spawn(1)
      await send(store, id!, 'M'.repeat(HISTORY_CHUNK_SIZE))
      await send(store, id!, 'M')
      const chunk = `history:${id!}:00000000`
      const paths = ['_all_docs', '_design/x', '_design%2Fx', '_local/x', '../x', 'a/b', '_changes', '%2F', chunk, `${chunk}:1-x`, id!.toUpperCase(), `${id!}/x`]
      for (const path of paths) {
        await assertStoreError(store.get(path, 'all'), 'not_found')
        await assertStoreError(send(store, path, 'M'), 'not_found')
        await assertStoreError(store.history(path, { offset: 0, limit: 10 }), 'not_found')
        await assertStoreError(store.remove(path, 'all'), 'not_found')
      }
      assert.match(String((await fixture.getRaw('_design/x'))._rev), /^1-/, 'the design doc was written to')
      assert.equal((await store.get(id!, 'none')).historyLength, HISTORY_CHUNK_SIZE + 1, 'the zergling and its chunks are untouched')
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
      await store.remove(ids[1]!, 'none')
      const second = await store.list({ limit: 2, cursor: first.next })
      assert.deepEqual(second.zerglings.map((z) => z.id), [ids[2], ids[3]])
    })

    it('when a cursor was not handed out by the store, then list says invalid_cursor', async () => {
      await spawn(1)
      for (const cursor of ['not a cursor', '', encodeCursor('_design/x'), Buffer.from('a'.repeat(36)).toString('base64url')]) {
        await assertStoreError(store.list({ limit: 2, cursor }), 'invalid_cursor')
      }
    })

    it('when commands are sent, then they are applied in order, stored, and the revision bumped once', async () => {
      const [id] = await spawn(1)
      const updated = await send(store, id!, 'MRM')
      assert.deepEqual({ ...updated, rev: undefined }, { id, location: { x: 1, y: 1 }, facing: 'E', commandHistory: ['M', 'R', 'M'], historyLength: 3, rev: undefined })
      assert.match(updated.rev, /^2-/)
      assert.deepEqual(await store.get(id!, 'all'), updated)
    })

    it('when less history is asked for, then it gets the last N commands or none, and the length either way', async () => {
      const [id] = await spawn(1)
      await send(store, id!, 'MMRL')
      assert.deepEqual((await store.get(id!, { last: 2 })).commandHistory, ['R', 'L'])
      const none = await store.get(id!, 'none')
      assert.equal(none.commandHistory, undefined)
      assert.equal(none.historyLength, 4)
    })

    it(`when the history outgrows ${HISTORY_CHUNK_SIZE} commands, then it moves to chunk documents, the main document stays small and every slice reads back`, async () => {
      const [id] = await spawn(1)
      const letters = 'MRMLMMRLRM'
      let expected = ''
      for (let i = 0; i < 5; i++) {
        const batch = letters.repeat(90).slice(0, 900 - i)
        await send(store, id!, batch)
        expected += batch
      }
      const total = expected.length
      const zergling = await store.get(id!, 'all')
      assert.equal(zergling.historyLength, total)
      assert.equal(zergling.commandHistory!.join(''), expected)
      assert.deepEqual(applyCommands(spawnZergling(id!), zergling.commandHistory!).location, zergling.location)
      const raw = await fixture.getRaw(id!)
      assert.ok(String(raw.recentCommands).length < 3 * HISTORY_CHUNK_SIZE, 'the main document keeps only a tail')
      assert.ok(String(raw.recentCommands).length >= HISTORY_CHUNK_SIZE, 'the tail holds the newest chunk\'s worth: a default answer reads no chunk')
      assert.ok(Number(raw.archivedChunks) >= 2)
      for (const [offset, limit] of [[0, 10], [995, 10], [1000, 1000], [2500, 2000], [total - 3, 10]] as const) {
        const page = await store.history(id!, { offset, limit })
        assert.equal(page.total, total)
        assert.equal(page.commands.join(''), expected.slice(offset, offset + limit), `history slice at ${offset}`)
      }
      assert.equal((await store.get(id!, { last: 1500 })).commandHistory!.join(''), expected.slice(-1500))
      assert.deepEqual((await store.list({ limit: 10 })).zerglings.map((z) => z.id), [id], 'chunk documents never show in the list')
    })

    it('when 30 commands race on one zergling from three replicas, then every one lands exactly once', async () => {
      const [id] = await spawn(1)
      const replicas = [store, await fixture.open(), await fixture.open()]
      const results = await Promise.all(Array.from({ length: 30 }, async (_, i) => await send(replicas[i % 3]!, id!, 'M')))
      const final = await store.get(id!, 'all')
      assert.deepEqual(final.location, { x: 0, y: 30 })
      assert.equal(final.commandHistory!.length, 30)
      assert.deepEqual(results.map((r) => r.location.y).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1), 'each answer shows the state right after its own command')
      assert.ok(Number(final.rev.split('-')[0]) <= 31, 'concurrent commands share writes')
    })

    it('when a command repeats its Idempotency-Key, then the first result comes back and nothing is applied again, on any replica', async () => {
      const [id] = await spawn(1)
      const first = await store.command(id!, { commands: parseCommands('M'), history: 'all', idempotencyKey: 'key-1' })
      await send(store, id!, 'R')
      const replica = await fixture.open()
      const again = await replica.command(id!, { commands: parseCommands('M'), history: 'all', idempotencyKey: 'key-1' })
      assert.equal(first.replayed, false)
      assert.equal(again.replayed, true)
      assert.deepEqual(again.result, first.result)
      const final = await store.get(id!, 'all')
      assert.deepEqual(final.commandHistory, ['M', 'R'])
    })

    it('when an Idempotency-Key comes back with other commands, then it is refused and nothing is applied', async () => {
      const [id] = await spawn(1)
      await send(store, id!, 'M', 'key-2')
      await assertStoreError(send(store, id!, 'L', 'key-2'), 'idempotency_key_reused')
      assert.deepEqual((await store.get(id!, 'all')).commandHistory, ['M'])
    })

    it(`when more than ${IDEMPOTENCY_KEYS_KEPT} keyed commands were sent, then only the newest ${IDEMPOTENCY_KEYS_KEPT} keys are kept`, async () => {
      const [id] = await spawn(1)
      await Promise.all(Array.from({ length: IDEMPOTENCY_KEYS_KEPT + 5 }, async (_, i) => await send(store, id!, 'R', `k${i}`)))
      const raw = await fixture.getRaw(id!)
      assert.equal((raw.idempotency as unknown[]).length, IDEMPOTENCY_KEYS_KEPT)
      assert.ok(!JSON.stringify(raw).includes('k1"'), 'keys are stored as hashes')
    })

    it('when a spawn repeats its Idempotency-Key, then the same zergling comes back and no second one is made', async () => {
      const first = await store.spawn({ idempotencyKey: 'spawn-key' })
      const again = await (await fixture.open()).spawn({ idempotencyKey: 'spawn-key' })
      assert.equal(again.replayed, true)
      assert.equal(again.result.id, first.result.id)
      assert.equal((await store.list({ limit: 10 })).zerglings.length, 1)
    })

    it('when a zergling is removed, then remove returns its last state, get says not_found and its history chunks go too', async () => {
      const [id] = await spawn(1)
      await send(store, id!, 'M'.repeat(1000))
      const last = await send(store, id!, 'M'.repeat(1000))
      assert.deepEqual(await store.remove(id!, 'all'), last)
      await assertStoreError(store.get(id!, 'all'), 'not_found')
      assert.deepEqual((await store.list({ limit: 10 })).zerglings, [])
      assert.deepEqual((await fixture.rawIds()).filter((raw) => raw.startsWith(`history:${id!}:`)), [])
    })

    it('when a zergling is removed twice, then the second remove says not_found', async () => {
      const [id] = await spawn(1)
      await store.remove(id!, 'none')
      await assertStoreError(store.remove(id!, 'none'), 'not_found')
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
