// `overmind migrate` as an operator runs it: the built binary copies an embedded store (stopped)
// into a CouchDB database (the double, or COUCHDB_TEST_URL's server), and what it copied is read
// back through the CouchDB store as the service would read it. OVERMIND_MIGRATION_ZERGLINGS=2000
// runs the full data set (the default is 300, to keep the suite's time).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { createCouchStore } from '../../src/store/couch-store.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { startAnswerProxy } from '../support/answer-proxy.js'
import { failedCredentialChecks, startCouchProxy } from '../support/couch-proxy.js'
import { createUserDatabase } from '../support/couch-user.js'
import { assertKeysReplay, assertStoreHolds, buildMigrationData, type MigrationData } from '../support/migration-data.js'
import { runBinary, startBinary } from '../support/overmind-binary.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

describe('overmind migrate from the embedded store', () => {
  let couch: TestCouch
  let data: MigrationData
  const stores: ZerglingStore[] = []
  const authorization = (): string => 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64')
  const env = (): Record<string, string> => ({ OVERMIND_DATA_DIR: data.dataDir, COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password })
  const createTarget = async (prefix: string): Promise<string> => {
    const database = couch.uniqueDatabaseName(prefix)
    const created = await fetch(`${couch.url}/${database}`, { method: 'PUT', headers: { authorization: authorization() } })
    assert.equal(created.status, 201)
    return database
  }
  const docCount = async (database: string): Promise<number> => (await (await fetch(`${couch.url}/${database}`, { headers: { authorization: authorization() } })).json()).doc_count
  const storeOn = (database: string): ZerglingStore => {
    const store = createCouchStore({ couch: { url: couch.url, username: couch.username, password: couch.password, database, requestTimeoutMs: 10_000 } })
    stores.push(store)
    return store
  }
  const migrate = async (database: string, ...flags: string[]): Promise<{ code: number | string, report: any, stdout: string, stderr: string }> => {
    const run = await runBinary(['migrate', '--to', `${couch.url}/${database}`, '--json', ...flags], env())
    return { ...run, report: run.stdout === '' ? undefined : JSON.parse(run.stdout) }
  }

  const assertSameZerglings = async (database: string): Promise<void> => { await assertStoreHolds(storeOn(database), data) }

  before(async () => {
    couch = await startTestCouch()
    data = await buildMigrationData()
  })
  after(async () => {
    for (const store of stores) await store.close()
    await couch.close()
    await rm(data.dataDir, { recursive: true, force: true })
  })

  it('when it migrates into an empty database, then every zergling, history and deletion is there, replayed keys answer their first answers, and a second run copies nothing', async () => {
    const database = await createTarget('migrate-empty')
    const first = await migrate(database)
    assert.equal(first.code, 0, first.stderr)
    assert.equal(first.report.ok, true)
    assert.equal(first.report.verified.zerglings, data.live.size)
    assert.equal(first.report.verified.deletedZerglings, data.deleted.length)
    assert.equal(first.report.verified.commands, data.commands)
    assert.equal(first.report.verified.mismatchCount, 0)
    // 5 200 commands each: the main document keeps the newest 1 200, four chunks hold the rest.
    assert.ok(first.report.verified.historyChunks >= data.longHistories.size * 4)
    for (const text of [first.stdout, first.stderr]) assert.ok(!text.includes(couch.password), 'the password is never printed')
    await assertSameZerglings(database)

    await assertKeysReplay(storeOn(database), data)

    const second = await migrate(database)
    assert.equal(second.code, 0, second.stderr)
    assert.equal(second.report.copied.docsWritten, 0, 'a second run copies nothing')
    assert.equal(second.report.verified.zerglings, data.live.size)
    console.log(`# migration of ${data.live.size} zerglings (${data.commands} commands): ${first.report.seconds} s, ${first.report.zerglingsPerSecond} zerglings/s, ${first.report.commandsPerSecond} commands/s`)
  })

  it('when a migration is killed halfway, then a rerun resumes from its checkpoint and ends with the same zerglings, nothing doubled', async () => {
    const database = await createTarget('migrate-killed')
    const proxy = await startAnswerProxy(couch.url)
    try {
      // The third batch of documents never reaches CouchDB: the process is killed while it waits.
      proxy.holdFrom(3, '/_bulk_docs')
      const run = startBinary(['migrate', '--to', `${proxy.url}/${database}`, '--json'], env())
      await Promise.race([proxy.holding(), run.exited.then((code) => { throw new Error(`migrate ended (${String(code)}) before it was stopped: ${run.stderr()}`) })])
      run.child.kill('SIGKILL')
      assert.equal(await run.exited, 'SIGKILL')
    } finally {
      await proxy.close()
    }
    const copiedBeforeKill = await docCount(database)
    assert.ok(copiedBeforeKill > 0 && copiedBeforeKill < data.live.size, `killed halfway: ${copiedBeforeKill} documents copied`)

    const rerun = await migrate(database)
    assert.equal(rerun.code, 0, rerun.stderr)
    assert.ok(rerun.report.copied.docsRead < rerun.report.verified.zerglings + rerun.report.verified.historyChunks, `the rerun resumed from a checkpoint (read ${rerun.report.copied.docsRead as number})`)
    assert.equal(rerun.report.verified.mismatchCount, 0)
    await assertSameZerglings(database)
  })

  it('when the target holds zerglings that are not from this store, then it is refused without --merge and nothing is copied; with --merge both are there', async () => {
    const database = await createTarget('migrate-occupied')
    const other = (await storeOn(database).spawn()).result
    const before = await docCount(database)
    const refused = await migrate(database)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /holds 1 zergling that is not from this source .*add --merge/)
    assert.equal(await docCount(database), before, 'nothing was copied')

    const merged = await migrate(database, '--merge')
    assert.equal(merged.code, 0, merged.stderr)
    assert.equal(merged.report.foreignZerglings, 1)
    const store = storeOn(database)
    assert.equal((await store.get(other.id, 'none')).id, other.id)
    assert.equal(merged.report.verified.zerglings, data.live.size)
  })

  it('when it signs in as a member of the target, not an admin, then a wrong password costs CouchDB one failed check and is never printed, and the right one migrates', async () => {
    const account = await createUserDatabase(couch, 'migrate-member')
    const proxy = await startCouchProxy(couch.url)
    try {
      const wrong = 'wrong-sentinel-password-77aa'
      const refused = await runBinary(['migrate', '--to', `${proxy.url}/${account.database}`], { OVERMIND_DATA_DIR: data.dataDir, COUCHDB_USERNAME: account.user.name, COUCHDB_PASSWORD: wrong })
      assert.equal(refused.code, 1)
      assert.match(refused.stderr, new RegExp(`refused the credentials of "${account.user.name}" \\(401`))
      assert.ok(!(refused.stdout + refused.stderr).includes(wrong))
      assert.equal(failedCredentialChecks(proxy.requests).length, 1, 'one login, not one per request')
      const url = new URL(`${proxy.url}/${account.database}`)
      url.username = account.user.name
      url.password = account.user.password
      const migrated = await runBinary(['migrate', '--to', url.toString(), '--json'], { OVERMIND_DATA_DIR: data.dataDir })
      assert.equal(migrated.code, 0, migrated.stderr)
      assert.equal(JSON.parse(migrated.stdout).verified.zerglings, data.live.size)
      assert.ok(!(migrated.stdout + migrated.stderr).includes(account.user.password))
      assert.ok(proxy.requests.filter((request) => request.basic).length <= 1, 'the password went once, then the session cookie')
    } finally {
      await proxy.close()
      await account.remove()
    }
  })

  it('when a CouchDB database is migrated into another (--from), then the second holds the same zerglings', async () => {
    const first = await createTarget('migrate-from-first')
    assert.equal((await migrate(first)).code, 0)
    const second = await createTarget('migrate-from-second')
    const run = await runBinary(['migrate', '--from', `${couch.url}/${first}`, '--to', `${couch.url}/${second}`, '--json'], { COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(JSON.parse(run.stdout).verified.mismatchCount, 0)
    await assertSameZerglings(second)
  })

  it('when the source is in use, missing, or the target missing or bad, then it exits with a sentence and copies nothing', async () => {
    const database = await createTarget('migrate-errors')
    const running = await createPouchStore({ dataDir: data.dataDir, database: data.database })
    try {
      const inUse = await migrate(database)
      assert.equal(inUse.code, 1)
      assert.match(inUse.stderr, /is in use by another process/)
    } finally {
      await running.close()
    }
    const missing = await runBinary(['migrate', '--to', `${couch.url}/${database}`], { ...env(), OVERMIND_DATA_DIR: `${data.dataDir}-nowhere` })
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /There is no embedded store in .*nothing to copy/)
    const noTarget = await runBinary(['migrate', '--to', `${couch.url}/${couch.uniqueDatabaseName('never-made')}`], env())
    assert.equal(noTarget.code, 1)
    assert.match(noTarget.stderr, /does not exist: create it with `OVERMIND_DATABASE=.* overmind bootstrap` first/)
    for (const args of [[], ['--to', couch.url], ['--to', 'not a url'], ['--to', `${couch.url}/Bad`]]) {
      const usage = await runBinary(['migrate', ...args], env())
      assert.equal(usage.code, 2, `${args.join(' ')}: ${usage.stderr}`)
    }
    assert.equal(await docCount(database), 0)
  })
})
