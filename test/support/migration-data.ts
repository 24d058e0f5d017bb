// An embedded store with data worth migrating: many zerglings with short histories, a few with
// thousands of commands (several history chunks), some deleted, keyed spawns and keyed commands
// whose first answers are kept, so a test can replay a key after the move and compare.
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from '../../src/domain/zergling.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import type { StoredZergling, ZerglingStore } from '../../src/store/zergling-store.js'

export interface DataShape { zerglings: number, long: number, longCommands: number, deleted: number }

export interface KeyedCommand { id: string, key: string, commands: Command[], answer: StoredZergling }

export interface MigrationData {
  dataDir: string
  database: string
  /** Live zerglings as the source holds them (history not included). */
  live: Map<string, StoredZergling>
  /** The whole history of the long ones. */
  longHistories: Map<string, string>
  deleted: string[]
  keyedCommands: KeyedCommand[]
  keyedSpawns: Array<{ key: string, id: string }>
  /** Commands in all live histories. */
  commands: number
}

/** The suite's default; OVERMIND_MIGRATION_ZERGLINGS=2000 runs the full data set. */
export function dataShape (): DataShape {
  const zerglings = Number(process.env.OVERMIND_MIGRATION_ZERGLINGS ?? '300')
  return { zerglings, long: Math.max(2, Math.round(zerglings / 500)), longCommands: 5200, deleted: Math.round(zerglings / 20) }
}

const LETTERS: Command[] = ['L', 'R', 'M']

/** Deterministic letters, so that a failure can be repeated. */
function letters (seed: number, length: number): Command[] {
  return Array.from({ length }, (_, i) => LETTERS[(seed * 7 + i * 13 + (i >> 2)) % 3]!)
}

async function eachAtOnce<T> (items: readonly T[], width: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++
      await task(items[i]!, i)
    }
  }))
}

export async function buildMigrationData (shape: DataShape = dataShape()): Promise<MigrationData> {
  const dataDir = await mkdtemp(join(tmpdir(), 'overmind-migrate-'))
  const database = 'zerglings'
  const store: ZerglingStore = await createPouchStore({ dataDir, database })
  const data: MigrationData = { dataDir, database, live: new Map(), longHistories: new Map(), deleted: [], keyedCommands: [], keyedSpawns: [], commands: 0 }
  try {
    const ids: string[] = []
    await eachAtOnce(Array.from({ length: shape.zerglings }), 16, async (_, i) => {
      const key = i % 10 === 0 ? `migration-spawn-${i}` : undefined
      const { result } = await store.spawn(key === undefined ? {} : { idempotencyKey: key })
      ids[i] = result.id
      if (key !== undefined) data.keyedSpawns.push({ key, id: result.id })
    })
    await eachAtOnce(ids, 16, async (id, i) => {
      let last: StoredZergling | undefined
      for (let batch = 0; batch < 1 + (i % 3); batch++) {
        const commands = letters(i + batch, 1 + ((i + batch) % 20))
        const key = `migration-move-${i}-${batch}`
        last = (await store.command(id, { commands, history: 'none', idempotencyKey: key })).result
        if (i % 25 === 0) data.keyedCommands.push({ id, key, commands, answer: last })
      }
      data.live.set(id, last!)
    })
    for (const id of ids.slice(0, shape.long)) {
      let history = (await store.get(id, 'all')).commandHistory!.join('')
      let last: StoredZergling | undefined
      for (let done = 0; done < shape.longCommands; done += 1000) {
        const commands = letters(done, Math.min(1000, shape.longCommands - done))
        last = (await store.command(id, { commands, history: 'none' })).result
        history += commands.join('')
      }
      data.live.set(id, last!)
      data.longHistories.set(id, history)
    }
    for (const id of ids.slice(ids.length - shape.deleted)) {
      await store.remove(id, 'none')
      data.live.delete(id)
      data.deleted.push(id)
    }
    data.keyedCommands = data.keyedCommands.filter(({ id }) => data.live.has(id))
    data.keyedSpawns = data.keyedSpawns.filter(({ id }) => data.live.has(id))
    for (const zergling of data.live.values()) data.commands += zergling.historyLength
    return data
  } finally {
    await store.close()
  }
}

/** Every zergling as the service would read it from `store`: states, revisions, long histories, deletions. */
export async function assertStoreHolds (store: ZerglingStore, data: MigrationData): Promise<void> {
  let listed = 0
  let cursor: string | undefined
  do {
    const page = await store.list({ limit: 1000, cursor })
    listed += page.zerglings.length
    cursor = page.next
  } while (cursor !== undefined)
  assert.equal(listed, data.live.size, 'as many zerglings as the source holds')
  for (const [id, expected] of data.live) {
    const read = await store.get(id, 'none')
    assert.deepEqual({ location: read.location, facing: read.facing, historyLength: read.historyLength, rev: read.rev },
      { location: expected.location, facing: expected.facing, historyLength: expected.historyLength, rev: expected.rev }, id)
  }
  for (const [id, history] of data.longHistories) {
    const commands: string[] = []
    while (commands.length < history.length) commands.push(...(await store.history(id, { offset: commands.length, limit: 5000 })).commands)
    assert.equal(commands.join(''), history, `the whole history of ${id}`)
  }
  for (const id of data.deleted) await assert.rejects(store.get(id, 'none'), /not_found|deleted|missing|No zergling/i, `${id} stays deleted`)
}

/** Keyed commands and spawns made on the source answer their first answers again, applying nothing. */
export async function assertKeysReplay (store: ZerglingStore, data: MigrationData): Promise<void> {
  assert.ok(data.keyedCommands.length > 0 && data.keyedSpawns.length > 0)
  for (const { id, key, commands, answer } of data.keyedCommands) {
    const replay = await store.command(id, { commands, history: 'none', idempotencyKey: key })
    assert.equal(replay.replayed, true, `${key} replays`)
    assert.deepEqual({ location: replay.result.location, historyLength: replay.result.historyLength, rev: replay.result.rev }, { location: answer.location, historyLength: answer.historyLength, rev: answer.rev })
  }
  for (const { key, id } of data.keyedSpawns) {
    const again = await store.spawn({ idempotencyKey: key })
    assert.deepEqual([again.replayed, again.result.id], [true, id], `spawn key ${key} replays`)
  }
}
