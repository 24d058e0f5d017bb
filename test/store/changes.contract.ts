// The changes feed, on every store: what `GET /zerglings/_changes` is made of (src/stream/).
// Positions are opaque: the tests only pass back what a read handed out.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { parseCommands } from '../../src/domain/index.js'
import { EVENT_HISTORY_COMMANDS } from '../../src/store/zergling-changes.js'
import { HISTORY_CHUNK_SIZE } from '../../src/store/zergling-document.js'
import { isStoreError } from '../../src/store/store-error.js'
import type { ZerglingChange, ZerglingStore } from '../../src/store/zergling-store.js'
import type { StoreFixture } from './zergling-store.contract.js'

const PAGE = 100

export function changesContract (name: string, createFixture: () => Promise<StoreFixture>): void {
  describe(`the changes feed on ${name}`, () => {
    let fixture: StoreFixture
    let store: ZerglingStore

    beforeEach(async () => {
      fixture = await createFixture()
      store = await fixture.open()
    })
    afterEach(async () => { await fixture.destroy() })

    const move = async (id: string, letters: string): Promise<void> => {
      await store.command(id, { commands: parseCommands(letters), history: 'none' })
    }
    /** Every change after `since`, page by page, as `type id` lines. */
    async function readAll (since: string): Promise<{ changes: ZerglingChange[], lastSeq: string }> {
      const changes: ZerglingChange[] = []
      for (let at = since; ;) {
        const page = await store.changes({ since: at, limit: PAGE, waitMs: 0 })
        changes.push(...page.changes)
        at = page.lastSeq
        if (page.complete) return { changes, lastSeq: at }
      }
    }

    it('when a zergling is spawned, moved and deleted, then each read after the last position shows its new state, and a read from 0 its latest only', async () => {
      const start = (await store.changes({ since: 'now', limit: PAGE, waitMs: 0 })).lastSeq
      const { result: { id } } = await store.spawn()
      const spawned = await readAll(start)
      assert.deepEqual(spawned.changes.map(({ type, zergling }) => [type, zergling.id]), [['spawned', id]])
      await move(id, 'MMR')
      const moved = await readAll(spawned.lastSeq)
      assert.deepEqual(moved.changes, [{
        type: 'moved',
        seq: moved.changes[0]!.seq,
        zergling: { id, location: { x: 0, y: 2 }, facing: 'E', historyLength: 3, commandHistory: ['M', 'M', 'R'], rev: (await store.get(id, 'none')).rev }
      }])
      await store.remove(id, 'none')
      const deleted = await readAll(moved.lastSeq)
      assert.deepEqual(deleted.changes.map(({ type, zergling }) => [type, zergling.id, zergling.rev.split('-')[0]]), [['deleted', id, '3']])
      assert.deepEqual((await readAll(start)).changes.map(({ type }) => type), ['deleted'])
    })

    it('when a zergling passes a history chunk and a design document is written, then the feed shows only the zergling, with its last commands', async () => {
      const start = (await store.changes({ since: 'now', limit: PAGE, waitMs: 0 })).lastSeq
      const { result: { id } } = await store.spawn()
      await move(id, 'R'.repeat(HISTORY_CHUNK_SIZE))
      await move(id, 'M')
      await fixture.putRaw({ _id: '_design/elsewhere', views: {} })
      const { changes } = await readAll(start)
      assert.deepEqual(changes.map(({ zergling }) => zergling.id), [id])
      const [last] = changes
      assert.equal(last!.type === 'moved' && last.zergling.historyLength, HISTORY_CHUNK_SIZE + 1)
      // Right after the 1000th command the rest is archived: the event carries the tail it has.
      assert.ok(last!.type === 'moved' && last.zergling.commandHistory!.length <= EVENT_HISTORY_COMMANDS)
    })

    it('when a read may wait and another replica moves a zergling, then it answers with that change long before its wait is over', async () => {
      const { result: { id } } = await store.spawn()
      const other = await fixture.open()
      const now = (await store.changes({ since: 'now', limit: PAGE, waitMs: 0 })).lastSeq
      const started = Date.now()
      const waiting = store.changes({ since: now, limit: PAGE, waitMs: 30_000 })
      setTimeout(() => { other.command(id, { commands: ['M'], history: 'none' }).catch(() => {}) }, 200)
      const page = await waiting
      assert.deepEqual(page.changes.map(({ type, zergling }) => [type, zergling.id]), [['moved', id]])
      assert.ok(Date.now() - started < 15_000, 'answered at the change, not at the end of the wait')
    })

    it('when a read may wait and nothing changes, then it answers no change at the end of the wait, at the same position', async () => {
      const now = (await store.changes({ since: 'now', limit: PAGE, waitMs: 0 })).lastSeq
      const page = await store.changes({ since: now, limit: PAGE, waitMs: 300 })
      assert.deepEqual(page.changes, [])
      await store.spawn()
      assert.equal((await store.changes({ since: page.lastSeq, limit: PAGE, waitMs: 0 })).changes.length, 1, 'nothing was skipped')
    })

    it('when a waiting read is given up, then it answers at once with no change', async () => {
      const now = (await store.changes({ since: 'now', limit: PAGE, waitMs: 0 })).lastSeq
      const controller = new AbortController()
      const started = Date.now()
      setTimeout(() => { controller.abort() }, 100)
      const page = await store.changes({ since: now, limit: PAGE, waitMs: 30_000, signal: controller.signal })
      assert.deepEqual(page, { changes: [], lastSeq: now, complete: true })
      assert.ok(Date.now() - started < 10_000)
    })

    for (const since of ['garbage', '12abc', '-1', '']) {
      it(`when the position is ${JSON.stringify(since)}, then the read fails as invalid_cursor`, async () => {
        await assert.rejects(store.changes({ since, limit: PAGE, waitMs: 0 }), (error) => isStoreError(error, 'invalid_cursor'))
      })
    }
  })
}
