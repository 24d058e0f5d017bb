// Revision trees that a CouchDB cluster makes without any partition (n=3, w=2): a shard copy
// takes the first of two racing writes it sees, and a write that fewer than w copies took but at
// least one did is answered 202 Accepted — stored (fabric_doc_update.erl, force_reply). So two
// replicas writing on one revision through different coordinators can both be told "stored":
// two merges of one conflict, a merge and a command, a command on one of two merged leaves.
// Each tree is built here with a node that has not seen the other's write yet (support/partitions.ts);
// whatever its shape, every acknowledged command is there exactly once after the next read.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { beforeEach, describe, it } from 'node:test'
import type { DocumentBackend } from '../../src/store/document-backend.js'
import { StoreError } from '../../src/store/store-error.js'
import type { ConflictWorld, Node } from './support/partitions.js'
import { send, sendEach } from './support/send.js'
import { assertStoreError } from './zergling-store.contract.js'

/** The tests, run inside each store's conflicts contract (conflicts.contract.ts), on its database and store. */
export function racingMerges (world: () => ConflictWorld): void {
  describe('racing merges', () => {
    let { fixture, store, cutOff, spawnWith, leaves, assertMerged, assertChunked } = {} as ConflictWorld
    beforeEach(() => { ({ fixture, store, cutOff, spawnWith, leaves, assertMerged, assertChunked } = world()) })

    /** A zergling with two leaves: the main side's `ours` (the winner, more writes) and the cut-off side's `theirs`. */
    async function conflicted (start: string, ours: string[], theirs: string[]): Promise<{ id: string, history: string } & Pick<Node, 'there' | 'heal'>> {
      const id = await spawnWith(start)
      const { there, heal } = await cutOff()
      const mine = await sendEach(store, id, ours)
      const other = await sendEach(there, id, theirs)
      await heal()
      assert.equal(await leaves(id), 2, 'the heal made a conflict')
      return { id, history: start + mine + other, there, heal }
    }

    /** `doc`, written on its `_rev` and lost on the way, stored after all on a copy where that revision was still a leaf. */
    async function arriveLate (doc: Record<string, unknown>): Promise<void> {
      const parent = String(doc._rev)
      const generation = Number.parseInt(parent, 10) + 1
      const hash = randomBytes(16).toString('hex')
      await fixture.putRevisions([{ ...doc, _rev: `${generation}-${hash}`, _revisions: { start: generation, ids: [hash, parent.slice(parent.indexOf('-') + 1)] } }])
    }

    it('when two replicas merged the same conflict on two nodes and both merges were accepted, then merging the merges adds nothing twice, and so does merging those merges again on two nodes', async () => {
      const { id, history } = await conflicted('MM', ['RM', 'L', 'M'], ['LMM', 'R'])
      const second = await cutOff()
      await store.get(id, 'none')
      await second.there.get(id, 'none')
      await second.heal()
      assert.equal(await leaves(id), 2, 'two merged leaves, each holding the loser')
      const third = await cutOff()
      const [here, overThere] = await Promise.all([store.get(id, 'all'), third.there.get(id, 'all')])
      assert.deepEqual([here.commandHistory!.join(''), overThere.commandHistory!.join('')], [history, history])
      await third.heal()
      await assertMerged(id, history)
    })

    it('when a merge raced a command on the winning revision, then the merged zergling has the command and the loser\'s commands once each', async () => {
      const id = await spawnWith('MM')
      const { there, heal } = await cutOff()
      const ours = await sendEach(store, id, ['RM', 'L', 'M'])
      const theirs = await sendEach(there, id, ['LMM', 'R'])
      const racer = await cutOff()
      await heal()
      await store.get(id, 'none')
      const late = await sendEach(racer.there, id, ['M', 'RR', 'M', 'L'])
      await racer.heal()
      // The racer's line has more writes than the merge's: it wins, and the merge's loser follows it.
      await assertMerged(id, 'MM' + ours + late + theirs)
    })

    it('when the losing branch took a command while the merge absorbed it, then only that command is added after the merge', async () => {
      const { id, history, there, heal } = await conflicted('MM', ['RM', 'L', 'M'], ['LMM', 'R'])
      await store.get(id, 'none')
      const more = await sendEach(there, id, ['R', 'M'])
      await heal()
      await assertMerged(id, history + more)
    })

    it('when a command landed on one of two merged leaves while the other stood, then merging them keeps the command and nothing twice', async () => {
      const { id, history } = await conflicted('MM', ['RM', 'L', 'M'], ['LMM', 'R'])
      const second = await cutOff()
      await store.get(id, 'none')
      const later = await send(second.there, id, 'MRM')
      assert.equal(later.historyLength, history.length + 3)
      await second.heal()
      assert.equal(await leaves(id), 2)
      await assertMerged(id, history + 'MRM')
    })

    it('when racing merges, a command on one of them and the merge of the merges each cut history chunks, then the history reads back whole and once, past the next boundary too', async () => {
      const { id, history } = await conflicted('M'.repeat(990), ['R'.repeat(10), 'LM'.repeat(5)], ['RM'.repeat(10)])
      const second = await cutOff()
      await store.get(id, 'none')
      await sendEach(store, id, ['L'])
      const later = await sendEach(second.there, id, ['M'.repeat(980), 'R'])
      await second.heal()
      // The second node's line has one write more: it wins, and the main line's command follows it.
      await assertChunked(id, history + later + 'L', [[0, 1000], [990, 40], [1000, 1000], [1990, 30]])
    })

    it('when a command\'s answer was lost and its retry was stored, and the lost attempt lands after all on a copy that had not seen the retry, then the merge keeps its commands once', async () => {
      const id = await spawnWith('MM')
      const lost: Array<Record<string, unknown>> = []
      const replica = await fixture.open({ wrapBackend: loseFirstAnswer(id, lost, 'the read confirms') })
      await send(replica, id, 'RMLM')
      await arriveLate(lost[0]!)
      assert.equal(await leaves(id), 2, 'both attempts are leaves')
      await assertMerged(id, 'MMRMLM')
    })

    it('when a keyed command\'s outcome was unknown and the client retried it through another replica, and the first attempt lands after all on a branch, then the merge keeps it once', async () => {
      const id = await spawnWith('MM')
      const lost: Array<Record<string, unknown>> = []
      const replica = await fixture.open({ wrapBackend: loseFirstAnswer(id, lost, 'the read fails too') })
      await assertStoreError(send(replica, id, 'RM', 'retried-elsewhere'), 'outcome_unknown')
      await send(store, id, 'L')
      await send(store, id, 'RM', 'retried-elsewhere')
      await arriveLate(lost[0]!)
      assert.equal(await leaves(id), 2)
      await assertMerged(id, 'MMLRM')
    })
  })

  /** The first write on `id` is kept in `lost` and not stored, its answer lost; then the confirming read works, or fails too. */
  function loseFirstAnswer (id: string, lost: Array<Record<string, unknown>>, confirm: 'the read confirms' | 'the read fails too'): (backend: DocumentBackend) => DocumentBackend {
    return (backend) => ({
      ...backend,
      putDocument: async (doc) => {
        if (lost.length > 0 || doc._id !== id) return await backend.putDocument(doc)
        lost.push(structuredClone(doc))
        throw new StoreError('unavailable', 'The answer was lost (scripted).', { ambiguous: true })
      },
      getDocument: async (docId, options) => {
        if (confirm === 'the read fails too' && options?.patient === true) throw new StoreError('unavailable', 'Still unreachable (scripted).')
        return await backend.getDocument(docId, options)
      }
    })
  }
}
