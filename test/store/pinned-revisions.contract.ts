// Commands and deletes pinned to revisions (a client's If-Match): applied only on a revision the
// client named, whatever races them, and never retried onto one it did not; a lost answer or an
// Idempotency-Key replay still settles as without a pin. Runs on every store, a real CouchDB too.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { parseCommands } from '../../src/domain/index.js'
import type { DocumentBackend } from '../../src/store/document-backend.js'
import { isStoreError, StoreError } from '../../src/store/store-error.js'
import type { StoredZergling, ZerglingStore } from '../../src/store/zergling-store.js'
import { send } from './support/send.js'
import type { StoreFixture } from './zergling-store.contract.js'

async function pinned (store: ZerglingStore, id: string, letters: string, ifMatch: string[], idempotencyKey?: string): Promise<StoredZergling> {
  return (await store.command(id, { commands: parseCommands(letters), history: 'all', ifMatch, idempotencyKey })).result
}

/** Fails unless `promise` rejects with `precondition_failed` naming `rev` (known once it settled) as the current revision. */
async function assertRefused (promise: Promise<unknown>, rev: string | (() => string)): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStoreError(error, 'precondition_failed'), `expected precondition_failed, got ${String(error)}`)
    assert.equal(error.rev, typeof rev === 'string' ? rev : rev())
    return true
  })
}

/** Before the first write of `id` of the kind `method` goes out, `meanwhile` runs (another replica's write). */
function raceFirstWrite (id: string, method: 'putDocument' | 'deleteDocument', meanwhile: () => Promise<unknown>): (backend: DocumentBackend) => DocumentBackend {
  let raced = false
  const race = async (docId: string): Promise<void> => {
    if (raced || docId !== id) return
    raced = true
    await meanwhile()
  }
  return (backend) => ({
    ...backend,
    putDocument: async (doc) => { if (method === 'putDocument') await race(doc._id); return await backend.putDocument(doc) },
    deleteDocument: async (docId, rev) => { if (method === 'deleteDocument') await race(docId); await backend.deleteDocument(docId, rev) }
  })
}

export function pinnedRevisionsContract (name: string, createFixture: () => Promise<StoreFixture>): void {
  describe(`commands and deletes pinned to a revision on ${name}`, () => {
    let fixture: StoreFixture
    let store: ZerglingStore
    let id: string
    let rev: string

    beforeEach(async () => {
      fixture = await createFixture()
      store = await fixture.open()
      ;({ id, rev } = (await store.spawn()).result)
    })
    afterEach(async () => { await fixture.destroy() })

    it('when a command names the current revision, then it is applied', async () => {
      const moved = await pinned(store, id, 'M', [rev])
      assert.deepEqual({ location: moved.location, history: moved.commandHistory }, { location: { x: 0, y: 1 }, history: ['M'] })
      assert.match(moved.rev, /^2-/)
    })

    /** Fails unless the zergling is at `expected` with `history`: what the refused request did not change. */
    async function assertAt (expected: string, history: string[]): Promise<void> {
      const after = await store.get(id, 'all')
      assert.deepEqual({ rev: after.rev, history: after.commandHistory }, { rev: expected, history })
    }

    /** A replica whose first write of `method` for the zergling is raced by another replica's command `R`. */
    async function racedReplica (method: 'putDocument' | 'deleteDocument'): Promise<{ racing: ZerglingStore, theirs: () => string }> {
      const other = await fixture.open()
      let theirs = ''
      const racing = await fixture.open({ wrapBackend: raceFirstWrite(id, method, async () => { theirs = (await send(other, id, 'R')).rev }) })
      return { racing, theirs: () => theirs }
    }

    it('when a command names a revision the zergling moved on from, then it is refused with the current one and nothing changes', async () => {
      const current = (await send(store, id, 'L')).rev
      await assertRefused(pinned(store, id, 'M', [rev]), current)
      await assertAt(current, ['L'])
    })

    it('when another replica writes between a pinned command\'s read and its write, then the command is refused, not retried on the newer revision', async () => {
      const { racing, theirs } = await racedReplica('putDocument')
      await racing.get(id, 'none')
      await assertRefused(pinned(racing, id, 'M', [rev]), theirs)
      await assertAt(theirs(), ['R'])
    })

    it('when another replica writes between a pinned delete\'s read and its delete, then the zergling stays, with that replica\'s command', async () => {
      const { racing, theirs } = await racedReplica('deleteDocument')
      await assertRefused(racing.remove(id, 'none', { ifMatch: [rev] }), theirs)
      await assertAt(theirs(), ['R'])
    })

    it('when a delete names the current revision, then it deletes; naming an older one, it deletes nothing', async () => {
      const current = (await send(store, id, 'M')).rev
      await assertRefused(store.remove(id, 'none', { ifMatch: [rev] }), current)
      assert.equal((await store.remove(id, 'none', { ifMatch: [current] })).rev, current)
      await assert.rejects(store.get(id, 'none'), (error: unknown) => isStoreError(error, 'not_found'))
    })

    it('when several commands name the same revision at once, then exactly one is applied and the others are refused', async () => {
      const results = await Promise.allSettled(['M', 'L', 'R', 'M', 'L'].map(async (letters) => await pinned(store, id, letters, [rev])))
      const applied = results.filter((result) => result.status === 'fulfilled')
      assert.equal(applied.length, 1, 'one winner')
      for (const result of results) if (result.status === 'rejected') assert.ok(isStoreError(result.reason, 'precondition_failed'))
      assert.equal((await store.get(id, 'none')).historyLength, 1)
    })

    it('when a pinned command waits behind a write together with unpinned ones, then it alone is refused and they are applied', async () => {
      // The first command is in flight at once; the two after it wait for the next write.
      const inFlight = send(store, id, 'M')
      const [unpinned, stale] = await Promise.allSettled([send(store, id, 'L'), pinned(store, id, 'R', [rev])])
      await inFlight
      assert.equal(unpinned.status, 'fulfilled')
      assert.ok(stale.status === 'rejected' && isStoreError(stale.reason, 'precondition_failed'))
      assert.equal((await store.get(id, 'none')).historyLength, 2)
    })

    it('when a pinned command\'s answer was lost before it was stored, then it is written again on the same revision and applied once', async () => {
      let lost = false
      const losing = await fixture.open({
        wrapBackend: (backend) => ({
          ...backend,
          putDocument: async (doc) => {
            if (lost || doc._id !== id) return await backend.putDocument(doc)
            lost = true
            throw new StoreError('unavailable', 'The request was cut before it reached the store (scripted).', { ambiguous: true })
          }
        })
      })
      const moved = await pinned(losing, id, 'M', [rev])
      assert.ok(lost, 'the first write was lost')
      assert.deepEqual((await store.get(id, 'all')).commandHistory, ['M'])
      assert.match(moved.rev, /^2-/)
    })

    it('when a pinned command with an Idempotency-Key is repeated after it was applied, then the repeat answers as applied, not refused', async () => {
      const first = await pinned(store, id, 'MM', [rev], 'key-1')
      const repeat = await store.command(id, { commands: parseCommands('MM'), history: 'all', ifMatch: [rev], idempotencyKey: 'key-1' })
      assert.equal(repeat.replayed, true)
      assert.equal(repeat.result.rev, first.rev)
      assert.equal((await store.get(id, 'none')).historyLength, 2)
    })

    it('when a command names several revisions, then one of them being current is enough, and none of them is refused', async () => {
      const current = (await send(store, id, 'L')).rev
      await assertRefused(pinned(store, id, 'M', [rev, '9-0']), current)
      const moved = await pinned(store, id, 'M', [rev, current])
      assert.deepEqual(moved.commandHistory, ['L', 'M'])
      await assertRefused(pinned(store, id, 'M', []), moved.rev)
    })
  })
}
