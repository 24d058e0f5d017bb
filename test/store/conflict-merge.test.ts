// The merge of a conflicted zergling against the in-memory backend, where the order of events
// can be scripted: a second merger overtaking the first, a write whose answer was lost landing
// on a branch that then loses, compaction taking the common ancestor's body away.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { applyCommands, spawnZergling, type Command } from '../../src/domain/index.js'
import type { MergeReport } from '../../src/store/conflict-merge.js'
import { createDocumentStore } from '../../src/store/document-store.js'
import { WRITE_MARKS_KEPT } from '../../src/store/write-marks.js'
import { StoreError } from '../../src/store/store-error.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { createMemoryBackend, lostAnswer, type MemoryBackend } from './support/memory-backend.js'
import { send, sendEach } from './support/send.js'

/**
 * Copies every live leaf of `from` into `to` with its `_revisions`, as replication does; with
 * `every revision`, also the bodies of the revisions before them, as a cluster's shard copy has
 * them when it took those writes itself.
 */
async function replicate (from: MemoryBackend, to: MemoryBackend, copy: 'leaves' | 'every revision' = 'leaves'): Promise<void> {
  for (const { id } of await from.allDocs({ limit: 1_000_000 })) {
    for (const { rev } of from.leaves(id).filter((leaf) => !leaf.deleted)) {
      const leaf = await from.getDocument(id, { rev, revs: true }) as { _revisions: { start: number, ids: string[] } }
      const path = copy === 'leaves' ? [rev] : leaf._revisions.ids.map((hash, i) => `${leaf._revisions.start - i}-${hash}`).reverse()
      for (const at of path) {
        // A revision whose body this copy never had (or compacted away) is missing: only its id travels, with the leaf's path.
        const doc = await from.getDocument(id, { rev: at, revs: true }).catch(() => undefined) as Record<string, unknown> | undefined
        if (doc !== undefined) to.importRevisions([doc])
      }
    }
  }
}

interface World { backend: MemoryBackend, store: ZerglingStore, merges: MergeReport[], id: string }

async function world (letters = 'M'): Promise<World> {
  const backend = createMemoryBackend()
  const merges: MergeReport[] = []
  const store = createDocumentStore(backend, { mergeHooks: { onMerge: (report) => merges.push(report) } })
  const { id } = (await store.spawn()).result
  // A request takes at most 1000 commands.
  for (let i = 0; i < letters.length; i += 1000) await send(store, id, letters.slice(i, i + 1000))
  return { backend, store, merges, id }
}

/** A copy of `main`'s database with its own store: a node cut off. */
async function cutOff (main: MemoryBackend): Promise<{ backend: MemoryBackend, store: ZerglingStore, heal: (copy?: 'leaves' | 'every revision') => Promise<void> }> {
  const backend = createMemoryBackend()
  await replicate(main, backend)
  return { backend, store: createDocumentStore(backend), heal: async (copy) => { await replicate(backend, main, copy) } }
}

async function assertMerged ({ backend, store, id }: World, history: string): Promise<void> {
  const zergling = await store.get(id, 'all')
  assert.equal(zergling.commandHistory!.join(''), history)
  const replayed = applyCommands(spawnZergling(id), [...history] as Command[])
  assert.deepEqual([zergling.location, zergling.facing], [replayed.location, replayed.facing], 'the state is the history replayed')
  assert.deepEqual(backend.leaves(id).filter((leaf) => !leaf.deleted).length, 1, 'one live leaf is left')
}

const many = (count: number, letters: string): string[] => Array.from({ length: count }, (_, i) => letters[i % letters.length]!)

describe('merging a conflicted zergling', () => {
  it('when a zergling has no conflict, then a command costs one read and one write, and a get one read', async () => {
    const { backend, store, id } = await world()
    backend.calls.length = 0
    await send(store, id, 'LM')
    assert.deepEqual(backend.calls.map((call) => call.op), ['get', 'put'])
    assert.equal(backend.calls[0]!.options?.conflicts, true, 'conflicts are asked for with the read itself')
    backend.calls.length = 0
    await store.get(id, 'all')
    assert.deepEqual(backend.calls.map((call) => call.op), ['get'])
  })

  it('when a loser was merged, then its leaf ends in a tombstone marked with the merged revision, which the zergling remembers', async () => {
    const main = await world()
    const side = await cutOff(main.backend)
    await sendEach(main.store, main.id, ['R', 'M'])
    await sendEach(side.store, main.id, ['L'])
    await side.heal()
    await main.store.get(main.id, 'none')
    const tombstones = main.backend.leaves(main.id).filter((leaf) => leaf.deleted)
    const current = await main.backend.getDocument(main.id, { revs: true }) as { _revisions: { start: number, ids: string[] }, mergeTombstones: string[] }
    assert.deepEqual(tombstones.map((leaf) => leaf.body?.mergedInto), [`${current._revisions.start - 1}-${current._revisions.ids[1]!}`], 'the merge, which the remembering write follows')
    assert.deepEqual(current.mergeTombstones, tombstones.map((leaf) => leaf.rev))
    assert.deepEqual(main.merges, [{ id: main.id, forks: ['token'], written: true }])
    main.backend.calls.length = 0
    await send(main.store, main.id, 'M')
    assert.deepEqual(main.backend.calls.map((call) => call.op), ['get', 'put'], 'a remembered tombstone costs nothing')
  })

  it('when a branch forked again on the cut-off side, then the commands both of its leaves share are merged once', async () => {
    const main = await world()
    const side = await cutOff(main.backend)
    const ours = await sendEach(main.store, main.id, ['R', 'M', 'M', 'M'])
    const shared = await sendEach(side.store, main.id, ['L'])
    const deeper = await cutOff(side.backend)
    const one = await sendEach(side.store, main.id, ['MM'])
    const two = await sendEach(deeper.store, main.id, ['R', 'R'])
    await deeper.heal()
    await side.heal()
    assert.equal(main.backend.leaves(main.id).length, 3)
    // Losers oldest first: the side's leaf (generation 4) before the deeper one's (generation 5).
    await assertMerged(main, 'M' + ours + shared + one + two)
  })

  it('when a loser brings more commands than a main document keeps, then the merge moves them into chunks of its own line, and the loser\'s chunks go', async () => {
    const main = await world()
    const side = await cutOff(main.backend)
    const ours = await sendEach(main.store, main.id, many(5, 'R'))
    const theirs = await sendEach(side.store, main.id, ['L'.repeat(1000), 'ML'.repeat(500), 'MR'.repeat(500), 'R'])
    await side.heal()
    await assertMerged(main, 'M' + ours + theirs)
    const raw = await main.backend.getDocument(main.id, { revs: true }) as { recentCommands: string, archivedChunks: number, _revisions: { start: number, ids: string[] } }
    // 3007 commands: two chunks moved out, the newest chunk's worth and more left in the tail.
    assert.ok(raw.recentCommands.length >= 1000 && raw.recentCommands.length < 2000, `a tail of ${raw.recentCommands.length}`)
    assert.equal(raw.archivedChunks, 2)
    const path = new Set(raw._revisions.ids.map((hash, i) => `${raw._revisions.start - i}-${hash}`))
    const chunks = (await main.backend.allDocs({ startkey: 'history:', endkey: 'history:\ufff0', limit: 100 })).map((row) => row.id.split(':').slice(3).join(':'))
    assert.deepEqual(chunks.filter((cutFrom) => !path.has(cutFrom)), [], 'every chunk left was cut on the merged line')
    assert.equal((await main.store.history(main.id, { offset: 990, limit: 30 })).commands.join(''), ('M' + ours + theirs).slice(990, 1020))
  })

  it('when a second merger overtakes the first, then the first finds the loser absorbed and only deletes it', async () => {
    const main = await world()
    const side = await cutOff(main.backend)
    const ours = await sendEach(main.store, main.id, ['R', 'M'])
    const theirs = await sendEach(side.store, main.id, ['LL'])
    await side.heal()
    // The overtaking merger writes its merge, then dies before deleting the loser.
    const overtaking = createDocumentStore(main.backend, { wrapBackend: (backend) => ({ ...backend, putDocument: async (doc) => { if ('_deleted' in doc) throw lostAnswer(); return await backend.putDocument(doc) } }) })
    let overtaken = false
    main.backend.intercept = async (call, proceed) => {
      if (!overtaken && call.op === 'put' && call.doc?.absorbed !== undefined) {
        overtaken = true
        await assert.rejects(overtaking.get(main.id, 'all'), 'the overtaking merger dies after its write')
        assert.equal(main.backend.leaves(main.id).filter((leaf) => !leaf.deleted).length, 2)
      }
      return await proceed()
    }
    await assertMerged(main, 'M' + ours + theirs)
    assert.ok(overtaken)
    assert.deepEqual(main.merges.map((merge) => merge.written), [false], 'the overtaken merge lost the race, then only deleted the loser')
  })

  it('when another merger deletes the loser\'s chunks while this one reads them, then it reads again and merges once', async () => {
    // Past two chunks' worth on both sides, so that each side's next command cuts a chunk of its own.
    const main = await world('M'.repeat(1900))
    const side = await cutOff(main.backend)
    const ours = await sendEach(main.store, main.id, ['R'.repeat(200), 'M', 'M'])
    const theirs = await sendEach(side.store, main.id, ['L'.repeat(200), 'LM'])
    await side.heal()
    const overtaking = createDocumentStore(main.backend)
    let overtaken = false
    main.backend.intercept = async (call, proceed) => {
      if (!overtaken && call.op === 'allDocs' && String(call.options?.startkey).startsWith('history:')) {
        overtaken = true
        await overtaking.get(main.id, 'none')
      }
      return await proceed()
    }
    await assertMerged(main, 'M'.repeat(1900) + ours + theirs)
    assert.ok(overtaken)
  })

  it('when a write whose answer was lost ends up on the losing branch, then it is confirmed from the merge and not applied again', async () => {
    const main = await world()
    const side = await cutOff(main.backend)
    const theirs = await sendEach(side.store, main.id, ['L', 'L', 'M'])
    let lost = false
    main.backend.intercept = async (call, proceed) => {
      const result = await proceed()
      if (!lost && call.op === 'put') {
        // Stored; then, before the answer arrives, a heal makes the side's longer branch win.
        lost = true
        await side.heal()
        throw lostAnswer()
      }
      return result
    }
    const answer = await send(main.store, main.id, 'RM')
    assert.ok(lost)
    main.backend.intercept = undefined
    await assertMerged(main, 'M' + theirs + 'RM')
    const merged = await main.store.get(main.id, 'none')
    assert.deepEqual(answer, merged, 'answered with the merged zergling, which holds its commands')
  })

  it(`when the branches share none of their last ${WRITE_MARKS_KEPT} writes and compaction took the ancestor, then the common prefix is the fork point, and the merge says so`, async () => {
    const main = await world('MM')
    const side = await cutOff(main.backend)
    const ours = await sendEach(main.store, main.id, many(WRITE_MARKS_KEPT + 2, 'RM'))
    const theirs = await sendEach(side.store, main.id, many(WRITE_MARKS_KEPT + 1, 'LM'))
    await side.heal()
    main.backend.compact()
    await assertMerged(main, 'MM' + ours + theirs)
    assert.deepEqual(main.merges.map((merge) => merge.forks), [['prefix']])
  })

  it('when the prefix is the only fork point left and both sides began with the same command, then that command is kept once: the documented limit', async () => {
    const main = await world('MM')
    const side = await cutOff(main.backend)
    const ours = await sendEach(main.store, main.id, ['R', ...many(WRITE_MARKS_KEPT + 1, 'M')])
    const theirs = await sendEach(side.store, main.id, ['R', ...many(WRITE_MARKS_KEPT, 'L')])
    await side.heal()
    main.backend.compact()
    await assertMerged(main, 'MM' + ours + theirs.slice(1))
  })

  it('when the ancestor\'s body is still there, then the fork point comes from it, without the prefix\'s limit', async () => {
    const main = await world('MM')
    const side = await cutOff(main.backend)
    const ours = await sendEach(main.store, main.id, ['R', ...many(WRITE_MARKS_KEPT + 1, 'M')])
    const theirs = await sendEach(side.store, main.id, ['R', ...many(WRITE_MARKS_KEPT, 'L')])
    await side.heal()
    await assertMerged(main, 'MM' + ours + theirs)
    assert.deepEqual(main.merges.map((merge) => merge.forks), [['ancestor']])
  })

  it(`when each of two merged leaves took more than ${WRITE_MARKS_KEPT} writes before they met (one cluster: every copy has the older revisions' bodies), then the loser's older revisions tell which writes its merge took in, and none is doubled`, async () => {
    const main = await world('MM')
    const side = await cutOff(main.backend)
    const ours = await sendEach(main.store, main.id, ['R', 'M', 'M'])
    const theirs = await sendEach(side.store, main.id, ['L', 'M'])
    await side.heal()
    const second = await cutOff(main.backend)
    // Both nodes merge the conflict, then go on past the marks a document keeps; main goes further and wins.
    const here = await sendEach(main.store, main.id, many(WRITE_MARKS_KEPT + 4, 'RM'))
    const there = await sendEach(second.store, main.id, many(WRITE_MARKS_KEPT + 2, 'LM'))
    await second.heal('every revision')
    await assertMerged(main, 'MM' + ours + theirs + here + there)
    assert.deepEqual(main.merges.at(-1)?.forks, ['ancestor'], 'neither side\'s own marks reach the fork')
  })

  it('when a loser\'s older revisions share an old write that the winner absorbed long ago, then the fork point is still the newest common revision, and nothing after it is doubled', async () => {
    const main = await world('MM')
    // An early conflict whose loser remembers writes older than the winner's marks reach: they end up absorbed.
    const early = await cutOff(main.backend)
    const first = await sendEach(main.store, main.id, many(WRITE_MARKS_KEPT + 2, 'RM'))
    const aside = await sendEach(early.store, main.id, ['L'])
    await early.heal('every revision')
    await main.store.get(main.id, 'none')
    const between = await sendEach(main.store, main.id, many(WRITE_MARKS_KEPT, 'MR'))
    // Then a node falls behind for a long while and takes one write of its own.
    const late = await cutOff(main.backend)
    const here = await sendEach(main.store, main.id, many(WRITE_MARKS_KEPT + 4, 'RM'))
    const there = await sendEach(late.store, main.id, ['LL'])
    await late.heal('every revision')
    await assertMerged(main, 'MM' + first + aside + between + here + there)
  })

  it(`when a loser's merge took in writes of the winner's line that are more than ${WRITE_MARKS_KEPT} writes back on it, then the winner's older revisions tell they are held, and they are not doubled`, async () => {
    const main = await world('MM')
    const side = await cutOff(main.backend)
    const early = await sendEach(main.store, main.id, ['R'])
    const theirs = await sendEach(side.store, main.id, ['L', 'M'])
    // The side sees the main line's first write, merges it into its own (longer) line; main never sees that merge.
    await replicate(main.backend, side.backend, 'every revision')
    await side.store.get(main.id, 'none')
    const here = await sendEach(main.store, main.id, many(WRITE_MARKS_KEPT + 4, 'RM'))
    await side.heal('every revision')
    await assertMerged(main, 'MM' + early + here + theirs)
  })

  it('when the loser shares a write with the winner only through a merge, and merged in the winner\'s early writes after it, then those early writes are not doubled', async () => {
    const main = await world('MM')
    const side = await cutOff(main.backend)
    const early = await sendEach(main.store, main.id, ['R'])
    const theirs = await sendEach(side.store, main.id, many(30, 'L'))
    // A third copy keeps the side as it is now; then the side merges the main line's early write into its (longer) line.
    const before = createMemoryBackend()
    await replicate(side.backend, before, 'every revision')
    await replicate(main.backend, side.backend)
    await side.store.get(main.id, 'none')
    // Main goes on, merges the side as it was (the newest write both will hold), and goes on past the marks a document keeps.
    const here = await sendEach(main.store, main.id, many(30, 'M'))
    await replicate(before, main.backend, 'every revision')
    await main.store.get(main.id, 'none')
    const later = await sendEach(main.store, main.id, many(WRITE_MARKS_KEPT + 4, 'RM'))
    await side.heal('every revision')
    await assertMerged(main, 'MM' + early + here + theirs + later)
  })

  for (const read of ['body', 'path of revisions'] as const) {
    it(`when a losing leaf's ${read} cannot be read yet (a cluster's read quorum that has not seen it answers 404), then commands still apply, the leaf is left standing, and a later read merges it`, async () => {
      const main = await world('MM')
      const side = await cutOff(main.backend)
      // More writes on each side than the marks keep: the fork point comes from the paths.
      const ours = await sendEach(main.store, main.id, many(WRITE_MARKS_KEPT + 2, 'RM'))
      const theirs = await sendEach(side.store, main.id, many(WRITE_MARKS_KEPT + 1, 'LM'))
      await side.heal()
      const loser = main.backend.leaves(main.id)[1]!.rev
      main.backend.intercept = async (call, proceed) => {
        if (call.op === 'get' && call.options?.rev === loser && (read === 'body') === (call.options.revs !== true)) throw new StoreError('not_found', 'missing (scripted)')
        return await proceed()
      }
      const answer = await send(main.store, main.id, 'M')
      assert.equal(answer.historyLength, 2 + ours.length + 1)
      assert.equal(main.backend.leaves(main.id).filter((leaf) => !leaf.deleted).length, 2, 'the leaf still stands')
      main.backend.intercept = undefined
      await assertMerged(main, 'MM' + ours + 'M' + theirs)
    })
  }

  it('when a losing leaf is not a zergling at all, then it is deleted and the winner stays as it was', async () => {
    const main = await world('MR')
    const [winner] = main.backend.leaves(main.id)
    main.backend.importRevisions([{ _id: main.id, _revisions: { start: 2, ids: ['00000000000000000000000000000000', winner!.rev.slice(2)] }, hello: 'world' }])
    assert.equal(main.backend.leaves(main.id).length, 2)
    await assertMerged(main, 'MR')
  })
})
