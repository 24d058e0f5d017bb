// `overmind backup` and `overmind restore` as an operator runs them: the built binary backs up
// each store (the embedded one, and CouchDB: the double or COUCHDB_TEST_URL's server) into
// @cloudant/couchbackup's format and restores into an empty store; what came back is read
// through the stores as the service reads it. The file is checked against couchbackup itself:
// its restore takes overmind's file, and overmind restores couchbackup's.
// OVERMIND_MIGRATION_ZERGLINGS=2000 runs the full data set (default 300).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createReadStream } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import couchbackup from '@cloudant/couchbackup'
import { createCouchStore } from '../../src/store/couch-store.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { assertKeysReplay, assertStoreHolds, buildMigrationData, type MigrationData } from '../support/migration-data.js'
import { runBinary } from '../support/overmind-binary.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

/** couchbackup's own restore (app.js), as a user without overmind would run couchrestore. */
declare module '@cloudant/couchbackup' {
  export function restore (source: NodeJS.ReadableStream, targetUrl: string, options: object, callback: (error: Error | null) => void): unknown
}

describe('overmind backup and restore', () => {
  let couch: TestCouch
  let data: MigrationData
  let work: string
  const stores: ZerglingStore[] = []
  const couchEnv = (database: string): Record<string, string> => ({ COUCHDB_URL: couch.url, COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password, OVERMIND_DATABASE: database })
  const authorization = (): string => 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64')
  const createDatabase = async (prefix: string, bootstrapped = true): Promise<string> => {
    const database = couch.uniqueDatabaseName(prefix)
    assert.equal((await fetch(`${couch.url}/${database}`, { method: 'PUT', headers: { authorization: authorization() } })).status, 201)
    if (bootstrapped) {
      // As `overmind bootstrap` leaves it: with its design document, which couchrestore would refuse.
      const put = await fetch(`${couch.url}/${database}/_design/overmind`, { method: 'PUT', headers: { authorization: authorization(), 'content-type': 'application/json' }, body: JSON.stringify({ language: 'javascript', views: {} }) })
      assert.equal(put.status, 201)
    }
    return database
  }
  const couchStore = (database: string): ZerglingStore => {
    const store = createCouchStore({ couch: { url: couch.url, username: couch.username, password: couch.password, database, requestTimeoutMs: 10_000 } })
    stores.push(store)
    return store
  }
  const embeddedStore = async (dataDir: string): Promise<ZerglingStore> => await createPouchStore({ dataDir, database: 'zerglings' })
  const withEmbedded = async (dataDir: string, check: (store: ZerglingStore) => Promise<void>): Promise<void> => {
    const store = await embeddedStore(dataDir)
    try { await check(store) } finally { await store.close() }
  }

  let couchSource: string
  before(async () => {
    couch = await startTestCouch()
    data = await buildMigrationData()
    work = await mkdtemp(join(tmpdir(), 'overmind-backups-'))
    // The CouchDB store's data: the same data set, moved there the way a user would.
    couchSource = await createDatabase('backup-source')
    const moved = await runBinary(['migrate', '--to', `${couch.url}/${couchSource}`], { OVERMIND_DATA_DIR: data.dataDir, COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password })
    assert.equal(moved.code, 0, moved.stderr)
  })
  after(async () => {
    for (const store of stores) await store.close()
    await couch.close()
    await rm(data.dataDir, { recursive: true, force: true })
    await rm(work, { recursive: true, force: true })
  })

  it('when the embedded store is backed up and restored into an empty one, then states, histories and idempotency records are equal, and a second restore needs --merge and doubles nothing', async () => {
    const file = join(work, 'embedded.jsonl')
    const backup = await runBinary(['backup', '--to', file, '--json'], { OVERMIND_DATA_DIR: data.dataDir })
    assert.equal(backup.code, 0, backup.stderr)
    assert.equal(JSON.parse(backup.stdout).file, file)
    const [metadata] = (await readFile(file, 'utf8')).split('\n')
    assert.deepEqual(Object.keys(JSON.parse(metadata!)).slice(0, 3), ['name', 'version', 'mode'])
    const restoredDir = await mkdtemp(join(work, 'restored-'))
    const restored = await runBinary(['restore', '--from', file, '--json'], { OVERMIND_DATA_DIR: restoredDir })
    assert.equal(restored.code, 0, restored.stderr)
    assert.equal(JSON.parse(restored.stdout).zerglings, data.live.size)
    await withEmbedded(restoredDir, async (store) => { await assertStoreHolds(store, data) })

    const again = await runBinary(['restore', '--from', file], { OVERMIND_DATA_DIR: restoredDir })
    assert.equal(again.code, 1)
    assert.match(again.stderr, /holds zerglings already .* add --merge/)
    const merged = await runBinary(['restore', '--from', file, '--merge'], { OVERMIND_DATA_DIR: restoredDir })
    assert.equal(merged.code, 0, merged.stderr)
    await withEmbedded(restoredDir, async (store) => {
      await assertStoreHolds(store, data)
      await assertKeysReplay(store, data)
    })
  })

  it('when the CouchDB store is backed up (by couchbackup) and restored into a bootstrapped database, then states, histories and idempotency records are equal', async () => {
    const file = join(work, 'couch.jsonl')
    const backup = await runBinary(['backup', '--to', file], couchEnv(couchSource))
    assert.equal(backup.code, 0, backup.stderr)
    assert.match(backup.stdout, /^backed up \d+ documents of http:\/\/127\.0\.0\.1:\d+\/backup-source/)
    assert.ok(!(backup.stdout + backup.stderr).includes(couch.password), 'the password is never printed')
    const target = await createDatabase('restore-target')
    const restored = await runBinary(['restore', '--from', file, '--json'], couchEnv(target))
    assert.equal(restored.code, 0, restored.stderr)
    assert.equal(JSON.parse(restored.stdout).designDocumentsSkipped, 1, 'the design document is not restored over the one bootstrap made')
    await assertStoreHolds(couchStore(target), data)
    await assertKeysReplay(couchStore(target), data)

    const restoredDir = await mkdtemp(join(work, 'from-couchbackup-'))
    const embedded = await runBinary(['restore', '--from', file], { OVERMIND_DATA_DIR: restoredDir })
    assert.equal(embedded.code, 0, embedded.stderr)
    await withEmbedded(restoredDir, async (store) => { await assertStoreHolds(store, data) })
  })

  it('when couchbackup\'s own restore reads the embedded store\'s backup, then an empty CouchDB database holds the same zerglings', async () => {
    const file = join(work, 'for-couchrestore.jsonl')
    assert.equal((await runBinary(['backup', '--to', file], { OVERMIND_DATA_DIR: data.dataDir })).code, 0)
    const target = await createDatabase('couchrestore', false)
    const url = new URL(`${couch.url}/${target}`)
    url.username = couch.username
    url.password = couch.password
    await new Promise<void>((resolve, reject) => { couchbackup.restore(createReadStream(file), url.toString(), {}, (error) => { if (error === null) resolve(); else reject(error) }) })
    await assertStoreHolds(couchStore(target), data)
  })

  it('when backups go nightly into a directory with --keep 2, then each is complete under a timestamped name and only the newest two stay', async () => {
    const directory = await mkdtemp(join(work, 'nightly-'))
    const names: string[] = []
    for (let night = 0; night < 3; night++) {
      const run = await runBinary(['backup', '--to-dir', directory, '--keep', '2', '--json'], { OVERMIND_DATA_DIR: data.dataDir })
      assert.equal(run.code, 0, run.stderr)
      names.push(JSON.parse(run.stdout).file)
      await new Promise((resolve) => setTimeout(resolve, 1100))
    }
    const kept = (await readdir(directory)).sort()
    assert.equal(kept.length, 2)
    for (const name of kept) assert.match(name, /^zerglings-\d{8}T\d{6}Z\.jsonl$/)
    assert.deepEqual(kept.map((name) => join(directory, name)), names.slice(1))
  })

  it('when a backup or restore is asked wrongly, then it exits 2 and writes nothing; into a target that holds zerglings it exits 1', async () => {
    const file = join(work, 'exists.jsonl')
    assert.equal((await runBinary(['backup', '--to', file], { OVERMIND_DATA_DIR: data.dataDir })).code, 0)
    for (const [args, env] of [
      [['backup'], {}], [['backup', '--to', file], { OVERMIND_DATA_DIR: data.dataDir }],
      [['backup', '--to', join(work, 'x.jsonl'), '--resume'], { OVERMIND_DATA_DIR: data.dataDir }],
      [['backup', '--to-dir', join(work, 'nowhere')], {}], [['restore'], {}], [['restore', '--from', join(work, 'nothing.jsonl')], {}]
    ] as Array<[string[], Record<string, string>]>) {
      const run = await runBinary(args, env)
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`)
    }
    const occupied = await runBinary(['restore', '--from', file], couchEnv(couchSource))
    assert.equal(occupied.code, 1)
    assert.match(occupied.stderr, /holds zerglings already/)
  })
})
