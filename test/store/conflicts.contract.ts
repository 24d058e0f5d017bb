// Conflicted zerglings, on every store (called from each store's test file, like the contract).
// A conflict is made the way a partitioned CouchDB cluster makes it (support/partitions.ts), so
// the zergling ends up with two leaves grown from one revision. The winner is CouchDB's choice
// (the highest generation): each test gives the side meant to win more writes, so the merged
// order is known.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { parseCommands } from '../../src/domain/index.js'
import type { DocumentBackend } from '../../src/store/document-backend.js'
import { WRITE_MARKS_KEPT } from '../../src/store/write-marks.js'
import { StoreError } from '../../src/store/store-error.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { racingMerges } from './racing-merges.contract.js'
import { partitions, type Partitions } from './support/partitions.js'
import { send, sendEach } from './support/send.js'
import { assertStoreError, type StoreFixture } from './zergling-store.contract.js'

export function conflictsContract (name: string, createFixture: () => Promise<StoreFixture>): void {
  describe(`conflicted zerglings on ${name}`, () => {
    let fixture: StoreFixture
    let store: ZerglingStore
    let { cutOff, spawnWith, leaves, assertMerged, assertChunked } = {} as Partitions

    beforeEach(async () => {
      fixture = await createFixture()
      store = await fixture.open()
      ;({ cutOff, spawnWith, leaves, assertMerged, assertChunked } = partitions(fixture, store))
    })
    afterEach(async () => { await fixture.destroy() })

    racingMerges(() => ({ fixture, store, cutOff, spawnWith, leaves, assertMerged, assertChunked }))

    it('when two branches took their own acknowledged commands, then a read has every command of both exactly once and the state of its history', async () => {
      const id = await spawnWith('MM')
      const { there, heal } = await cutOff()
      const ours = await sendEach(store, id, ['RM', 'L', 'M'])
      const theirs = await sendEach(there, id, ['LMM', 'R'])
      await heal()
      assert.equal(await leaves(id), 2, 'the heal made a conflict')
      await assertMerged(id, 'MM' + ours + theirs)
      assert.deepEqual((await store.list({ limit: 10 })).zerglings.map((z) => z.historyLength), [2 + ours.length + theirs.length])
    })

    it('when both branches crossed the same chunk boundary, then each keeps its own chunk and the merged history reads back whole, also past the next boundary', async () => {
      const id = await spawnWith('M'.repeat(900))
      const { there, heal } = await cutOff()
      const ours = await sendEach(store, id, ['LM'.repeat(150), 'LM'.repeat(150), 'LLM'.repeat(100)])
      const theirs = await sendEach(there, id, ['RM'.repeat(150), 'RRM'.repeat(100)])
      await heal()
      await assertChunked(id, 'M'.repeat(900) + ours + theirs, [[0, 1000], [950, 100], [1000, 1000], [1400, 600]])
    })

    it('when three leaves hold commands, then all of them are merged, losers oldest first', async () => {
      const id = await spawnWith('M')
      const first = await cutOff()
      const second = await cutOff()
      const ours = await sendEach(store, id, ['R', 'M', 'M', 'L'])
      const one = await sendEach(first.there, id, ['LM'])
      const two = await sendEach(second.there, id, ['RRM', 'M'])
      await first.heal()
      await second.heal()
      assert.equal(await leaves(id), 3)
      await assertMerged(id, 'M' + ours + one + two)
    })

    it('when a merge is cut off after its write, before the loser is deleted, then the next read only deletes it: nothing is doubled', async () => {
      const id = await spawnWith('M')
      const { there, heal } = await cutOff()
      const ours = await sendEach(store, id, ['R', 'M'])
      const theirs = await sendEach(there, id, ['LL'])
      await heal()
      const crashing = await fixture.open({ wrapBackend: failTombstones })
      await assertStoreError(crashing.get(id, 'all'), 'unavailable')
      assert.equal(await leaves(id), 2, 'the loser is still there')
      assert.equal((await fixture.getRaw(id)).recentCommands, 'M' + ours + theirs, 'the merge was written')
      await assertMerged(id, 'M' + ours + theirs, await fixture.open())
    })

    it('when two stores read a conflicted zergling at once, then both see every command exactly once', async () => {
      const id = await spawnWith('M')
      const { there, heal } = await cutOff()
      const ours = await sendEach(store, id, ['R', 'M', 'M'])
      const theirs = await sendEach(there, id, ['L', 'LM'])
      await heal()
      const replicas = [store, await fixture.open(), await fixture.open()]
      const seen = await Promise.all(replicas.map(async (replica) => (await replica.get(id, 'all')).commandHistory!.join('')))
      assert.deepEqual(seen, seen.map(() => 'M' + ours + theirs))
      await assertMerged(id, 'M' + ours + theirs)
    })

    it('when commands are sent to a conflicted zergling, then they land after the merged history, once each', async () => {
      const id = await spawnWith('M')
      const { there, heal } = await cutOff()
      const ours = await sendEach(store, id, ['R', 'M'])
      const theirs = await sendEach(there, id, ['LMM'])
      await heal()
      // Replicas that have not written it read it first (see the next test for one that has).
      const replicas = [await fixture.open(), await fixture.open()]
      const answers = await Promise.all(['M', 'L', 'M'].map(async (letters, i) => await send(replicas[i % 2]!, id, letters)))
      assert.deepEqual(answers.map((answer) => answer.historyLength).sort(), [7, 8, 9])
      const history = (await store.get(id, 'all')).commandHistory!.join('')
      assert.equal(history.slice(0, 6), 'M' + ours + theirs)
      assert.deepEqual([...history.slice(6)].sort(), ['L', 'M', 'M'])
      await assertMerged(id, history)
    })

    it('when the replica that wrote one branch sends more commands after the heal, then each lands once, and the next read merges every command of both branches once', async () => {
      const id = await spawnWith('M')
      const { there, heal } = await cutOff()
      const ours = await sendEach(store, id, ['R', 'M'])
      const theirs = await sendEach(there, id, ['LMM'])
      await heal()
      // A store that remembers its own branch (the CouchDB one, document-memory.ts) may write on
      // it without seeing the conflict; one that reads first merges now. Either way nothing is
      // lost or doubled, and the read merges what is left.
      const after = await sendEach(store, id, ['M', 'L', 'M'])
      const history = (await store.get(id, 'all')).commandHistory!.join('')
      assert.equal(history.slice(0, 1 + ours.length), 'M' + ours)
      assert.deepEqual([...history.slice(1 + ours.length)].sort(), [...theirs + after].sort())
      await assertMerged(id, history)
    })

    it('when an Idempotency-Key was used on the losing branch, then repeating it after the merge replays that answer and applies nothing', async () => {
      const id = await spawnWith('M')
      const { there, heal } = await cutOff()
      const ours = await sendEach(store, id, ['R', 'M', 'M'])
      const answered = await send(there, id, 'LM', 'sent-to-the-cut-off-node')
      await heal()
      const again = await store.command(id, { commands: parseCommands('LM'), history: 'none', idempotencyKey: 'sent-to-the-cut-off-node' })
      assert.equal(again.replayed, true)
      assert.deepEqual({ location: again.result.location, facing: again.result.facing, length: again.result.historyLength }, { location: answered.location, facing: answered.facing, length: answered.historyLength })
      await assertMerged(id, 'M' + ours + 'LM')
    })

    it(`when the branches share none of their last ${WRITE_MARKS_KEPT} writes, then the common ancestor revision gives the fork point`, async () => {
      const id = await spawnWith('MM')
      const { there, heal } = await cutOff()
      const ours = await sendEach(store, id, Array.from({ length: WRITE_MARKS_KEPT + 2 }, (_, i) => (i % 2 === 0 ? 'R' : 'M')))
      const theirs = await sendEach(there, id, Array.from({ length: WRITE_MARKS_KEPT + 1 }, (_, i) => (i % 3 === 0 ? 'L' : 'M')))
      await heal()
      await assertMerged(id, 'MM' + ours + theirs)
    })

    it('when a zergling was deleted on one side and moved on the other, then after the heal the acknowledged delete wins: it stays deleted', async () => {
      const id = await spawnWith('MM')
      const { there, heal } = await cutOff()
      await sendEach(there, id, ['L', 'M', 'M'])
      await store.remove(id, 'none')
      await heal()
      assert.equal(await leaves(id), 1, 'the moved side shows; the delete hides in _deleted_conflicts')
      await assertStoreError(store.get(id, 'all'), 'not_found')
      await assertStoreError(send(store, id, 'M'), 'not_found')
      assert.deepEqual((await store.list({ limit: 10 })).zerglings, [])
      assert.ok(!(await fixture.rawIds()).includes(id), 'no live leaf is left')
    })

    it('when the delete was on the cut-off side, then it wins too, and a respawn with the same key starts a life that the old deletes leave alone', async () => {
      const { id } = (await store.spawn({ idempotencyKey: 'deleted-over-there' })).result
      await send(store, id, 'M')
      const { there, heal } = await cutOff()
      await sendEach(store, id, ['R', 'M', 'M'])
      await there.remove(id, 'none')
      await heal([id])
      await assertStoreError(store.get(id, 'none'), 'not_found')
      const again = await store.spawn({ idempotencyKey: 'deleted-over-there' })
      assert.deepEqual([again.result.id, again.replayed], [id, false])
      await sendEach(store, id, ['L', 'M'])
      await assertMerged(id, 'LM')
      assert.deepEqual((await store.list({ limit: 10 })).zerglings.map((z) => z.id), [id])
    })

    it('when a branch took a keyed spawn\'s whole life and the other side never saw it, then it is simply there after the heal', async () => {
      const { there, heal } = await cutOff()
      const { id } = (await there.spawn({ idempotencyKey: 'born-on-the-cut-off-node' })).result
      const theirs = await sendEach(there, id, ['M'.repeat(1000), 'RM'])
      await heal()
      await assertMerged(id, theirs)
    })
  })
}

/** A backend whose tombstones for losing leaves fail: a merge cut off right after its write. */
function failTombstones (backend: DocumentBackend): DocumentBackend {
  return {
    ...backend,
    putDocument: async (doc) => {
      if ((doc as { _deleted?: boolean })._deleted === true) throw new StoreError('unavailable', 'The process died here (scripted).')
      return await backend.putDocument(doc)
    }
  }
}
