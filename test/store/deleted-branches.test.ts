// Deleted leaves against the in-memory backend: which ones are a user's delete, and what each
// costs to tell.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { createDocumentStore } from '../../src/store/document-store.js'
import { StoreError } from '../../src/store/store-error.js'
import { assertStoreError } from './zergling-store.contract.js'
import { createMemoryBackend, type MemoryBackend } from './support/memory-backend.js'
import { send } from './support/send.js'

/** Grows a branch of `id` from `parent` with `count` revisions of `body`, as replication would bring it. */
function branch (backend: MemoryBackend, id: string, parent: string, count: number, body: Record<string, unknown>): string {
  // The lowest hashes: on a tie in generation, the branch loses.
  const hashes = Array.from({ length: count }, (_, i) => `${'0'.repeat(31)}${i}`).reverse()
  const start = Number.parseInt(parent, 10) + count
  backend.importRevisions([{ _id: id, _revisions: { start, ids: [...hashes, parent.slice(parent.indexOf('-') + 1)] }, ...body }])
  return `${start}-${hashes[0]!}`
}

describe('deleted branches', () => {
  it('when a merge\'s tombstones were written but not remembered, then the next read tells them by their mark, remembers them, and the zergling lives', async () => {
    const backend = createMemoryBackend()
    const dying = createDocumentStore(backend, { wrapBackend: (inner) => ({ ...inner, putDocument: async (doc) => { if ('mergeTombstones' in doc) throw new StoreError('unavailable', 'died (scripted)'); return await inner.putDocument(doc) } }) })
    const store = createDocumentStore(backend)
    const { id } = (await store.spawn()).result
    await send(store, id, 'M')
    const [winner] = backend.leaves(id)
    await send(store, id, 'R')
    branch(backend, id, winner!.rev, 1, { location: { x: 0, y: 1 }, facing: 'W', recentCommands: 'ML', archivedChunks: 0, recentWrites: ['lost:2'] })
    await assertStoreError(dying.get(id, 'none'), 'unavailable')
    assert.equal(backend.leaves(id).filter((leaf) => leaf.deleted).length, 1, 'the tombstone was written')
    backend.calls.length = 0
    assert.equal((await store.get(id, 'all')).commandHistory!.join(''), 'MRL')
    assert.deepEqual(backend.calls.map((call) => call.op), ['get', 'get', 'put'], 'one read of the tombstone, one write to remember it')
    backend.calls.length = 0
    await store.get(id, 'none')
    assert.deepEqual(backend.calls.map((call) => call.op), ['get'], 'then nothing more')
  })

  it('when a document predates write marks, then a deleted leaf beside it is never taken for a user\'s delete', async () => {
    const backend = createMemoryBackend()
    const store = createDocumentStore(backend)
    const id = randomUUID()
    const root = await backend.putDocument({ _id: id, location: { x: 0, y: 0 }, facing: 'N', recentCommands: '', archivedChunks: 0, recentWrites: ['plain'] } as { _id: string })
    await backend.putDocument({ _id: id, _rev: root, location: { x: 0, y: 1 }, facing: 'N', recentCommands: 'M', archivedChunks: 0, recentWrites: ['plain', 'old'] } as { _id: string })
    branch(backend, id, root, 2, { _deleted: true })
    assert.equal((await store.get(id, 'all')).commandHistory!.join(''), 'M')
    assert.equal(backend.leaves(id).filter((leaf) => !leaf.deleted).length, 1)
  })
  it('when a merge\'s tombstone cannot be read yet (a cluster\'s read quorum that has not seen it answers 404), then the zergling still answers, and a later read remembers the tombstone', async () => {
    const backend = createMemoryBackend()
    const store = createDocumentStore(backend)
    const { id } = (await store.spawn()).result
    await send(store, id, 'M')
    const [winner] = backend.leaves(id)
    await send(store, id, 'R')
    const tombstone = branch(backend, id, winner!.rev, 1, { _deleted: true, mergedInto: 'a merge on another node' })
    backend.intercept = async (call, proceed) => {
      if (call.op === 'get' && call.options?.rev === tombstone) throw new StoreError('not_found', 'missing (scripted)')
      return await proceed()
    }
    assert.equal((await store.get(id, 'all')).commandHistory!.join(''), 'MR')
    backend.intercept = undefined
    assert.equal((await store.get(id, 'all')).commandHistory!.join(''), 'MR')
    assert.deepEqual((await backend.getDocument(id) as { mergeTombstones?: string[] }).mergeTombstones, [tombstone])
  })
})
