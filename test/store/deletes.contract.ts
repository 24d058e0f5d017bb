// A delete that dies halfway (issue 11, case 5), on every store: the main document is gone but
// some of its history chunks are not. A keyed spawn gets the same id again (ids are derived from
// the key): that new life must take commands past its first chunk and read back, whatever the
// earlier life left behind, and its spawn clears what is left.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { DocumentBackend } from '../../src/store/document-backend.js'
import { StoreError } from '../../src/store/store-error.js'
import { send } from './support/send.js'
import type { StoreFixture } from './zergling-store.contract.js'

export function deletesContract (name: string, createFixture: () => Promise<StoreFixture>): void {
  describe(`deletes cut off halfway on ${name}`, () => {
    let fixture: StoreFixture

    beforeEach(async () => { fixture = await createFixture() })
    afterEach(async () => { await fixture.destroy() })

    const chunksOf = async (id: string): Promise<string[]> => (await fixture.rawIds()).filter((raw) => raw.startsWith(`history:${id}:`))

    for (const survivingDeletes of [0, 1, 2]) {
      it(`when a delete dies after the main document and ${survivingDeletes} chunk deletes, then a respawn with the same key takes commands past 1000 and reads back, and the old chunks go`, async () => {
        const key = `respawned-${survivingDeletes}`
        const first = await fixture.open()
        const { id } = (await first.spawn({ idempotencyKey: key })).result
        // A chunk moves out of the main document once it holds two chunks' worth: three chunks.
        for (const letters of ['M'.repeat(1000), 'M'.repeat(1000), 'M'.repeat(1000), 'M'.repeat(1000), 'R']) await send(first, id, letters)
        assert.equal((await chunksOf(id)).length, 3)
        const dying = await fixture.open({ wrapBackend: dieAfterChunkDeletes(survivingDeletes) })
        await dying.remove(id, 'none')
        assert.equal((await chunksOf(id)).length, 3 - survivingDeletes, 'the delete died halfway')

        const store = await fixture.open()
        const again = await store.spawn({ idempotencyKey: key })
        assert.deepEqual({ id: again.result.id, replayed: again.replayed, length: again.result.historyLength }, { id, replayed: false, length: 0 })
        const life = 'LM'.repeat(1000) + 'RMM'.repeat(200)
        await send(store, id, life.slice(0, 1000))
        await send(store, id, life.slice(1000, 2000))
        await send(store, id, life.slice(2000))
        await send(store, id, 'L')
        assert.equal((await store.get(id, 'all')).commandHistory!.join(''), life + 'L')
        assert.equal((await store.history(id, { offset: 990, limit: 20 })).commands.join(''), (life + 'L').slice(990, 1010))
        assert.equal((await chunksOf(id)).length, 1, 'only the new life\'s chunk is left')
      })
    }

    it('when a zergling is removed, then none of its chunks stay, and a respawn with the same key starts empty', async () => {
      const store = await fixture.open()
      const { id } = (await store.spawn({ idempotencyKey: 'twice' })).result
      for (const letters of ['M'.repeat(1000), 'M'.repeat(1000), 'R']) await send(store, id, letters)
      await store.remove(id, 'none')
      assert.deepEqual(await chunksOf(id), [])
      await store.spawn({ idempotencyKey: 'twice' })
      assert.deepEqual((await store.get(id, 'all')).commandHistory, [])
    })
  })
}

/** The process dies once the main document is deleted and `survivors` chunk deletes went through. */
function dieAfterChunkDeletes (survivors: number): (backend: DocumentBackend) => DocumentBackend {
  return (backend) => {
    let mainDeleted = false
    let chunks = 0
    return {
      ...backend,
      deleteDocument: async (id, rev) => {
        if (mainDeleted && chunks >= survivors) throw new StoreError('unavailable', 'The process died here (scripted).')
        await backend.deleteDocument(id, rev)
        if (id.startsWith('history:')) chunks++
        else mainDeleted = true
      }
    }
  }
}
