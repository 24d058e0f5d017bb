// Issue 11, cases 1–3 at the store: a disk that fills up and gets space back. The data
// directory is a small tmpfs (root only; the test skips without it).
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { applyCommands, parseCommands, spawnZergling } from '../../src/domain/index.js'
import type { EmbeddedLogger } from '../../src/store/embedded-database.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import { isStoreError } from '../../src/store/store-error.js'
import type { BrainStatus, ZerglingStore } from '../../src/store/zergling-store.js'
import { mountTmpfs } from '../support/tmpfs.js'

const probe = await mountTmpfs(1 << 20)
const skip = typeof probe === 'string' ? probe : false
if (typeof probe !== 'string') await probe.unmount()

function capturingLogger (): { errors: string[], logger: EmbeddedLogger } {
  const errors: string[] = []
  const noop = (): void => {}
  return { errors, logger: { info: noop, warn: noop, error: (object) => { errors.push((object.err as Error).message) } } }
}

async function waitForReady (store: ZerglingStore, timeoutMs = 20_000): Promise<BrainStatus> {
  const deadline = Date.now() + timeoutMs
  let status = await store.check()
  while (!status.ok && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    status = await store.check()
  }
  return status
}

function assertDiskFull (status: BrainStatus): void {
  assert.equal(status.ok, false, 'not ready while the disk is full')
  assert.deepEqual(!status.ok && status.failure, { store: 'embedded', cause: 'disk_full' })
  assert.match(!status.ok ? status.reason : '', /^The embedded store cannot write: the disk .* is full/)
}

/** One command to every zergling at once (PouchDB queues them): how many were acknowledged. */
async function commandEach (store: ZerglingStore, acknowledged: Map<string, string>, letters: () => string): Promise<number> {
  const results = await Promise.all([...acknowledged.keys()].map(async (id) => {
    const commands = letters()
    try {
      await store.command(id, { commands: parseCommands(commands), history: 'none' })
    } catch (error) {
      assert.ok(isStoreError(error, 'unavailable'), String(error))
      return false
    }
    acknowledged.set(id, acknowledged.get(id)! + commands)
    return true
  }))
  return results.filter(Boolean).length
}

/** Closes the store and opens its directory again: each zergling holds exactly what was acknowledged. */
async function reopenAndCompare (store: ZerglingStore, options: { dataDir: string, database: string }, acknowledged: Map<string, string>): Promise<ZerglingStore> {
  await store.close()
  const reopened = await createPouchStore(options)
  try {
    for (const [id, letters] of acknowledged) {
      const stored = await reopened.get(id, 'all')
      assert.equal(stored.commandHistory!.join(''), letters, 'exactly the acknowledged commands, in order')
      const replayed = applyCommands(spawnZergling(id), letters === '' ? [] : parseCommands(letters))
      assert.deepEqual({ location: stored.location, facing: stored.facing }, { location: replayed.location, facing: replayed.facing })
    }
  } catch (error) {
    await reopened.close()
    throw error
  }
  return reopened
}

describe('the embedded store when its disk fills up', { skip }, () => {
  it('when commands fail for a full disk, then none is acknowledged until space is back, and every acknowledged command survives a reopen', async () => {
    const disk = await mountTmpfs(2 << 20) as Exclude<typeof probe, string>
    const options = { dataDir: disk.dir, database: 'zerglings' }
    let store = await createPouchStore(options)
    try {
      const acknowledged = new Map<string, string>()
      for (let i = 0; i < 8; i++) acknowledged.set((await store.spawn()).result.id, '')
      let sent = 0
      const round = async (): Promise<number> => await commandEach(store, acknowledged, () => 'MRL'[sent++ % 3]! + 'M')

      await disk.fill()
      while (await round() === acknowledged.size) assert.ok(sent < 50_000, 'the disk never filled')
      assertDiskFull(await store.check())
      for (let i = 0; i < 5; i++) assert.equal(await round(), 0, 'no command is acknowledged while the disk is full')

      await disk.unfill()
      assert.deepEqual(await waitForReady(store), { ok: true }, 'ready again by itself once there is space')
      for (let i = 0; i < 10; i++) assert.equal(await round(), acknowledged.size, 'commands work again')
      store = await reopenAndCompare(store, options, acknowledged)
    } finally {
      await store.close()
      await disk.unmount()
    }
  })

  it('when space comes back the moment a write fails, then the writes queued behind it are not acknowledged (they would land after the tear in the log)', async () => {
    const disk = await mountTmpfs(2 << 20) as Exclude<typeof probe, string>
    const options = { dataDir: disk.dir, database: 'zerglings' }
    const noop = (): void => {}
    // Told synchronously, from leveldown's callback, before PouchDB runs the next queued write.
    const logger = { info: noop, warn: noop, error: () => { rmSync(disk.filler, { force: true }) } }
    let store = await createPouchStore({ ...options, logger })
    try {
      const acknowledged = new Map<string, string>()
      for (let i = 0; i < 16; i++) acknowledged.set((await store.spawn()).result.id, '')
      await disk.fill()
      for (let round = 0; await commandEach(store, acknowledged, () => 'RM') === acknowledged.size; round++) {
        assert.ok(round < 10_000, 'the disk never filled')
      }
      assert.deepEqual(await waitForReady(store), { ok: true })
      store = await reopenAndCompare(store, options, acknowledged)
    } finally {
      await store.close()
      await disk.unmount()
    }
  })

  it('when a compaction fails for a full disk (leveldb then fails every write until reopened), then readiness finds it without a client write, and the store serves again within seconds of space coming back', async () => {
    const disk = await mountTmpfs(64 << 20) as Exclude<typeof probe, string>
    const options = { dataDir: disk.dir, database: 'zerglings' }
    const { errors, logger } = capturingLogger()
    let store = await createPouchStore({ ...options, logger })
    const dir = join(disk.dir, 'zerglings')
    const currentLog = async (): Promise<string> => (await readdir(dir)).filter((name) => name.endsWith('.log')).sort().at(-1)!
    let spawned = 0
    try {
      // Round 1 learns how big the log grows before leveldb switches memtables (~4 MB).
      let log = await currentLog()
      let logBytes = 0
      for (;;) {
        await store.spawn()
        spawned++
        if (await currentLog() !== log) break
        logBytes = (await stat(join(dir, log))).size
      }
      while ((await readdir(dir)).filter((name) => name.endsWith('.log')).length > 1) await new Promise((resolve) => setTimeout(resolve, 20))
      // Round 2: room for the same log again, not for the table its compaction writes (~1 MB).
      await disk.fill(logBytes + 256 * 1024)
      log = await currentLog()
      while (await currentLog() === log) {
        await store.spawn()
        spawned++
      }
      // The full memtable's compaction runs now and fails (leveldb's LOG says so). No client
      // writes after it: readiness learns of it by trying a write itself, and gets its error.
      const deadline = Date.now() + 20_000
      while (!/Level-0 table #\d+: \d+ bytes IO error: .*No space left on device/.test(await readFile(join(dir, 'LOG'), 'utf8'))) {
        assert.ok(Date.now() < deadline, 'the compaction did not fail')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      await new Promise((resolve) => setTimeout(resolve, 1000))
      assertDiskFull(await store.check())
      assert.match(errors[0] ?? '', /\.ldb: No space left on device/, 'the failure is the compaction\'s, kept by leveldb for every later write')
      await assert.rejects(store.spawn(), (error: unknown) => isStoreError(error, 'unavailable'))

      await disk.unfill()
      assert.deepEqual(await waitForReady(store), { ok: true })
      for (let i = 0; i < 10; i++) { await store.spawn(); spawned++ }

      await store.close()
      store = await createPouchStore(options)
      let listed = 0
      for (let page = await store.list({ limit: 1000 }); ; page = await store.list({ limit: 1000, cursor: page.next })) {
        listed += page.zerglings.length
        if (page.next === undefined) break
      }
      assert.equal(listed, spawned, 'every acknowledged spawn is there after a reopen')
    } finally {
      await store.close()
      await disk.unmount()
    }
  })
})
