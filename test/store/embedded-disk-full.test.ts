// Issue 11, cases 1–3 at the store: a disk that fills up and gets space back. The data
// directory is a small tmpfs (root only; the test skips without it).
import assert from 'node:assert/strict'
import { readdir, stat } from 'node:fs/promises'
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

describe('the embedded store when its disk fills up', { skip }, () => {
  it('when a command fails for a full disk, then nothing is acknowledged until space is back, and afterwards every acknowledged command survives a reopen', async () => {
    const disk = await mountTmpfs(2 << 20) as Exclude<typeof probe, string>
    const options = { dataDir: disk.dir, database: 'zerglings' }
    let store = await createPouchStore(options)
    try {
      const acknowledged = new Map<string, string>()
      for (let i = 0; i < 4; i++) acknowledged.set((await store.spawn()).result.id, '')
      const ids = [...acknowledged.keys()]
      const send = async (n: number): Promise<boolean> => {
        const id = ids[n % ids.length]!
        const letters = 'MRL'[n % 3]! + 'M'
        try {
          await store.command(id, { commands: parseCommands(letters), history: 'none' })
        } catch (error) {
          assert.ok(isStoreError(error, 'unavailable'), String(error))
          return false
        }
        acknowledged.set(id, acknowledged.get(id)! + letters)
        return true
      }

      await disk.fill()
      let sent = 0
      while (await send(sent++)) assert.ok(sent < 20_000, 'the disk never filled')
      assertDiskFull(await store.check())
      const whileFull = []
      for (let i = 0; i < 20; i++) whileFull.push(await send(sent++))
      assert.deepEqual(whileFull.filter(Boolean), [], 'no command is acknowledged while the disk is full')

      await disk.unfill()
      assert.deepEqual(await waitForReady(store), { ok: true }, 'ready again by itself once there is space')
      for (let i = 0; i < 50; i++) assert.ok(await send(sent++), 'commands work again')

      await store.close()
      store = await createPouchStore(options)
      for (const [id, letters] of acknowledged) {
        const stored = await store.get(id, 'all')
        assert.equal(stored.commandHistory!.join(''), letters, 'exactly the acknowledged commands, in order')
        const replayed = applyCommands(spawnZergling(id), parseCommands(letters))
        assert.deepEqual({ location: stored.location, facing: stored.facing }, { location: replayed.location, facing: replayed.facing })
      }
    } finally {
      await store.close()
      await disk.unmount()
    }
  })

  it('when a compaction fails for a full disk (leveldb then fails every write until reopened), then the store serves again within seconds of space coming back', async () => {
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
      let failed = false
      while (!failed) {
        failed = await store.spawn().then(() => { spawned++; return false }, (error: unknown) => isStoreError(error, 'unavailable'))
        if (await currentLog() !== log) {
          log = await currentLog()
          // Nothing written while the compaction runs: the next write meets its error.
          await new Promise((resolve) => setTimeout(resolve, 500))
        }
      }
      assert.match(errors[0] ?? '', /\.ldb: No space left on device/, 'the write failed on the compaction\'s table, not on the log')
      assertDiskFull(await store.check())

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
