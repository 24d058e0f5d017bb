// Issue 11, case 4: damaged files never read as "no such zergling". A directory that is damaged
// in a way a cheap look can see is refused before leveldb opens it (leveldb would delete tables
// it cannot account for); damage only a read can find stops the store when that read finds it.
import assert from 'node:assert/strict'
import { copyFile, mkdtemp, rm, stat, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { inspectLeveldbDirectory } from '../../src/store/leveldb-directory.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import { isStoreError, StoreOpenError } from '../../src/store/store-error.js'
import { buildEmbeddedDirectory, damage, filesIn, tableFiles, type Damage } from '../support/embedded-files.js'

const root = await mkdtemp(join(tmpdir(), 'overmind-damage-'))
after(async () => { await rm(root, { recursive: true, force: true }) })

describe('the embedded store on a damaged directory', () => {
  for (const how of ['CURRENT missing', 'MANIFEST missing', 'table missing', 'table truncated'] as Damage[]) {
    it(`when its ${how.replace(' ', ' is ')}, then opening fails with one sentence naming the directory and nothing in it changes`, async () => {
      const dataDir = await mkdtemp(join(root, 'refused-'))
      const dir = join(dataDir, 'zerglings')
      await buildEmbeddedDirectory(dataDir, 'zerglings', 30)
      await damage(dir, how)
      const before = await filesIn(dir)

      await assert.rejects(createPouchStore({ dataDir, database: 'zerglings' }), (error: unknown) => {
        assert.ok(error instanceof StoreOpenError, String(error))
        assert.equal(error.failure.cause, 'damaged')
        assert.ok(error.message.startsWith(`the embedded store in ${dir} is damaged (`), error.message)
        assert.match(error.message, /restore the directory from a backup, or move it aside to start with an empty store\.$/)
        return true
      })
      const { LOG, 'LOG.old': _old, ...kept } = await filesIn(dir)
      const { LOG: _log, 'LOG.old': _before, ...expected } = before
      assert.deepEqual(kept, expected, 'no file was deleted, created or resized (leveldb\'s own LOG aside)')
    })
  }

  it('when CURRENT is missing and no log or table holds data, then it opens as a new store', async () => {
    const dataDir = await mkdtemp(join(root, 'half-created-'))
    await buildEmbeddedDirectory(dataDir, 'zerglings', 0)
    const dir = join(dataDir, 'zerglings')
    for (const name of Object.keys(await filesIn(dir))) if (/\.(log|ldb)$|^CURRENT$/.test(name)) await rm(join(dir, name))
    assert.deepEqual(await inspectLeveldbDirectory(dir), { kind: 'new' })
    const store = await createPouchStore({ dataDir, database: 'zerglings' })
    try {
      assert.deepEqual((await store.list({ limit: 10 })).zerglings, [])
    } finally {
      await store.close()
    }
  })

  // leveldb stops a compaction when the database closes and leaves its half-written output; the
  // next open deletes it (db_impl.cc DeleteObsoleteFiles). The bench met one every few closes.
  it('when a truncated table is one no version of the MANIFEST lists (a compaction stopped by a close), then the store opens with every zergling and leveldb removes that file', async () => {
    const dataDir = await mkdtemp(join(root, 'orphan-'))
    const ids = await buildEmbeddedDirectory(dataDir, 'zerglings', 30)
    const dir = join(dataDir, 'zerglings')
    const [table] = await tableFiles(dir)
    await copyFile(join(dir, table!), join(dir, '999999.ldb'))
    await truncate(join(dir, '999999.ldb'), Math.floor((await stat(join(dir, table!))).size / 2))
    assert.deepEqual(await inspectLeveldbDirectory(dir), { kind: 'existing' })
    const store = await createPouchStore({ dataDir, database: 'zerglings' })
    try {
      for (const id of ids) assert.equal((await store.get(id, 'none')).historyLength, 3)
    } finally {
      await store.close()
    }
    assert.ok(!(await tableFiles(dir)).includes('999999.ldb'), 'leveldb deleted the file no version listed')
  })

  it('when a table rotted inside (its footer whole), then reads that reach it answer unavailable, never not found, and the store reports itself damaged', async () => {
    const dataDir = await mkdtemp(join(root, 'rotten-'))
    const ids = await buildEmbeddedDirectory(dataDir, 'zerglings', 300)
    await damage(join(dataDir, 'zerglings'), 'table rotten')
    // Nothing a cheap look can see: the store opens.
    const store = await createPouchStore({ dataDir, database: 'zerglings' })
    try {
      const answers = new Map<string, number>()
      for (const id of ids) {
        const answer = await store.get(id, 'none').then(() => 'found', (error: unknown) => isStoreError(error) ? error.kind : String(error))
        answers.set(answer, (answers.get(answer) ?? 0) + 1)
      }
      assert.equal(answers.get('not_found'), undefined, `no zergling reads as missing: ${JSON.stringify([...answers])}`)
      assert.ok((answers.get('unavailable') ?? 0) > 0, `the damage was read: ${JSON.stringify([...answers])}`)
      const status = await store.check()
      assert.equal(status.ok, false)
      assert.deepEqual(!status.ok && status.failure, { store: 'embedded', cause: 'damaged' })
      assert.match(!status.ok ? status.reason : '', /embedded store's files are damaged/)
      await assert.rejects(store.list({ limit: 1000 }), (error: unknown) => isStoreError(error, 'unavailable'))
    } finally {
      await store.close()
    }
  })

  it('when a table rotted inside, then listing from a fresh open answers unavailable instead of crashing the process', async () => {
    const dataDir = await mkdtemp(join(root, 'rotten-list-'))
    await buildEmbeddedDirectory(dataDir, 'zerglings', 300)
    await damage(join(dataDir, 'zerglings'), 'table rotten')
    const store = await createPouchStore({ dataDir, database: 'zerglings' })
    try {
      await assert.rejects(store.list({ limit: 1000 }), (error: unknown) => isStoreError(error, 'unavailable') && error.failure?.cause === 'damaged')
      assert.equal((await store.check()).ok, false)
    } finally {
      await store.close()
    }
  })
})
