// Partitions and heals for the conflict contracts, made the way a CouchDB cluster makes them: a
// second database stands for a node cut off (or for a shard copy that has not seen the other
// side's writes yet); both sides take writes through their own stores; healing replicates every
// live leaf back with `new_edits: false` and its `_revisions`, so branches grown from one
// revision end up as leaves of one tree. https://docs.couchdb.org/en/stable/replication/conflicts.html
import assert from 'node:assert/strict'
import { applyCommands, spawnZergling, type Command } from '../../../src/domain/index.js'
import { conflictsOf } from '../../../src/store/revisions.js'
import type { ZerglingStore } from '../../../src/store/zergling-store.js'
import type { StoreFixture } from '../zergling-store.contract.js'
import { send, sendEach } from './send.js'

export interface Node {
  side: StoreFixture
  /** A store (a replica) working on this node. */
  there: ZerglingStore
  /** Replicates this node's live leaves (and the tombstones of `deleted`) back to the main database. */
  heal: (deleted?: string[]) => Promise<void>
}

export interface Partitions {
  /** A node cut off now: a copy of every live leaf of the main database, with its own store. */
  cutOff: () => Promise<Node>
  spawnWith: (letters: string) => Promise<string>
  /** How many live leaves the zergling has in the main database. */
  leaves: (id: string) => Promise<number>
  /** The zergling reads back with exactly `history`, its state is that history replayed, no conflict is left. */
  assertMerged: (id: string, history: string, on?: ZerglingStore) => Promise<void>
  /** A merged `history` long enough for chunks: every `[offset, limit]` slice reads right, and the zergling takes 1001 more commands. */
  assertChunked: (id: string, history: string, slices: ReadonlyArray<readonly [number, number]>) => Promise<void>
}

/** What a conflict test works with: the main database, a store on it, and its partitions. */
export interface ConflictWorld extends Partitions { fixture: StoreFixture, store: ZerglingStore }

export function partitions (fixture: StoreFixture, store: ZerglingStore): Partitions {
  async function replicate (from: StoreFixture, to: StoreFixture, deleted: readonly string[] = []): Promise<void> {
    const docs: Array<Record<string, unknown>> = []
    for (const id of await from.rawIds()) {
      const winner = await from.getRaw(id, { conflicts: true, revs: true })
      const { _conflicts: _losers, ...shown } = winner
      docs.push(shown)
      for (const rev of conflictsOf(winner)) docs.push(await from.getRaw(id, { rev, revs: true }))
    }
    for (const id of deleted) docs.push(await from.getRaw(id, { rev: (await from.rawRevision(id))!, revs: true }))
    await to.putRevisions(docs)
  }

  async function leaves (id: string): Promise<number> {
    return 1 + conflictsOf(await fixture.getRaw(id, { conflicts: true })).length
  }

  async function assertMerged (id: string, history: string, on = store): Promise<void> {
    const zergling = await on.get(id, 'all')
    assert.equal(zergling.commandHistory!.join(''), history)
    assert.equal(zergling.historyLength, history.length)
    const replayed = applyCommands(spawnZergling(id), [...history] as Command[])
    assert.deepEqual({ location: zergling.location, facing: zergling.facing }, { location: replayed.location, facing: replayed.facing }, 'the state is the history replayed')
    assert.equal(await leaves(id), 1, 'no _conflicts are left')
  }

  return {
    async cutOff () {
      const side = await fixture.partition()
      await replicate(fixture, side)
      return { side, there: await side.open(), heal: async (deleted) => { await replicate(side, fixture, deleted) } }
    },
    async spawnWith (letters) {
      const { id } = (await store.spawn()).result
      for (let at = 0; at < letters.length; at += 1000) await send(store, id, letters.slice(at, at + 1000))
      return id
    },
    leaves,
    assertMerged,
    async assertChunked (id, history, slices) {
      await assertMerged(id, history)
      for (const [offset, limit] of slices) {
        assert.equal((await store.history(id, { offset, limit })).commands.join(''), history.slice(offset, offset + limit), `slice at ${offset}`)
      }
      await assertMerged(id, history + await sendEach(store, id, ['M'.repeat(1000), 'R']))
    }
  }
}
