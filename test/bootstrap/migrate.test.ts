// `overmind bootstrap migrate` on a database of zerglings in the original shape, on the double
// or on the real CouchDB of COUCHDB_TEST_URL: three init containers at once, one killed halfway,
// while two replicas of the service take commands on the zerglings being migrated.
// The size is 2 000 zerglings, three with 20 000-command histories (OVERMIND_MIGRATION_ORIGINAL
// sets the count: 10000 is the full set), to stay within ~30 s on two shared cores.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { createApp } from '../../src/http/app.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { runOvermind, type OvermindProcess } from '../support/overmind-process.js'
import { adminHeaders, replay, seedOriginalShape, type OriginalData } from '../support/original-shape.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { runCli } from './helpers.js'

const ZERGLINGS = Number(process.env.OVERMIND_MIGRATION_ORIGINAL ?? '2000')
/** `_design/overmind` as versions before migration 002 deployed it. */
const OLD_DESIGN = { language: 'javascript', views: { zerglings_by_facing: { map: 'function (doc) { if (doc.location && doc.facing && doc._id.indexOf(\'_design/\') !== 0) { emit(doc.facing, 1); } }', reduce: '_count' } } }

describe('bootstrap migrate on zerglings in the original shape (double, or COUCHDB_TEST_URL)', () => {
  let couch: TestCouch
  before(async () => { couch = await startTestCouch({ version: '3.4.3' }) })
  after(async () => { await couch.close() })

  const envOf = (database: string): Record<string, string> => ({
    COUCHDB_URL: couch.url, COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password, OVERMIND_DATABASE: database, OVERMIND_COUCHDB_TIMEOUT_MS: '10000'
  })
  const storeOn = (database: string): ZerglingStore => createCouchStore({ couch: { url: couch.url, username: couch.username, password: couch.password, database, requestTimeoutMs: 10_000 } })
  const getJson = async (path: string): Promise<Record<string, unknown>> => await (await fetch(`${couch.url}${path}`, { headers: adminHeaders(couch) })).json() as Record<string, unknown>

  it('when three runs migrate at once and the holder of the lock is killed halfway while two replicas take commands, then every zergling keeps its whole history and the state it leads to, no command is lost or doubled, and the history lists the migration once', async () => {
    const database = couch.uniqueDatabaseName('migrate')
    const data = await seedOriginalShape(couch, database, { zerglings: ZERGLINGS, long: 3, longCommands: 20_000 })
    const stores = [storeOn(database), storeOn(database)]
    const apps = await Promise.all(stores.map(async (store) => await createApp({ store })))
    const runs: OvermindProcess[] = []
    try {
      const started = Date.now()
      for (let i = 0; i < 3; i++) runs.push(runOvermind(['bootstrap', 'migrate', '--lease', '2s'], envOf(database)))
      // From the first page on, so that zerglings get their first command while pages are migrated.
      await progressAtLeast(runs, 1)
      const load = startLoad(apps, [...data.histories.keys()].slice(0, 240))
      const holder = await progressAtLeast(runs, ZERGLINGS / 2)
      holder.child.kill('SIGKILL')
      const others = runs.filter((run) => run !== holder)
      const codes = await Promise.all(others.map(async (run) => await run.exited))
      const seconds = (Date.now() - started) / 1000
      const duringMigration = load.applied()
      const sent = await load.stop()

      assert.equal(await holder.exited, 'SIGKILL')
      assert.deepEqual(codes, [0, 0], others.map((run) => run.output()).join('\n---\n'))
      const outputs = others.map((run) => run.output()).join('\n')
      assert.match(outputs, /waiting for the migration lock held by/)
      assert.match(outputs, /was not renewed for 2000 ms: taking it over \(resuming 001-zerglings-to-chunks after /)
      assert.deepEqual(load.errors, [], 'no answer but 200 and 503')
      assert.ok(duringMigration > 0, 'the load ran during the migration')

      const history = await getJson(`/${database}/overmind:migrations`)
      const applied = history.applied as Array<{ id: string, documentsChanged: number }>
      assert.deepEqual(applied.map((entry) => entry.id), ['001-zerglings-to-chunks', '002-remove-zerglings-by-facing'])
      // Counted across the takeover, but for the zerglings a command converted first and at most the
      // page the killed run wrote without saving its checkpoint.
      const changed = applied[0]!.documentsChanged
      assert.ok(changed <= ZERGLINGS && changed >= ZERGLINGS - 240 - 100, `001 changed ${changed} documents`)
      const checking = Date.now()
      await assertMigrated(database, data, sent)
      console.log(`# checked in ${((Date.now() - checking) / 1000).toFixed(1)} s`)
      const again = await runCli(['migrate'], envOf(database))
      assert.equal(again.code, 0, again.stderr)
      assert.match(again.stdout, /^migrate\s+unchanged\s+2 migration\(s\) applied, none pending\./m)
      console.log(`# migrated ${ZERGLINGS} zerglings in ${seconds.toFixed(1)} s with one run killed (${Math.round(ZERGLINGS / seconds)} docs/s, lease 2 s included), ${duringMigration} commands during the migration`)
    } finally {
      for (const run of runs) await run.kill('SIGKILL')
      for (const app of apps) await app.close()
    }
  })

  const updateSeq = async (database: string): Promise<unknown> => (await getJson(`/${database}`)).update_seq

  it('when dry-running on zerglings in the original shape and the old design document, then it says which migrations would run and how many documents each would change, and writes nothing; the run then removes the view', async () => {
    const database = couch.uniqueDatabaseName('migrate-dry')
    await seedOriginalShape(couch, database, { zerglings: 250, long: 1, longCommands: 3000 })
    const design = await fetch(`${couch.url}/${database}/_design/overmind`, { method: 'PUT', headers: adminHeaders(couch), body: JSON.stringify(OLD_DESIGN) })
    assert.equal(design.status, 201)
    const before = await updateSeq(database)
    const run = await runCli(['migrate', '--dry-run'], envOf(database))
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^migrate\s+would be updated\s+would apply 001-zerglings-to-chunks \(250 document\(s\)\), 002-remove-zerglings-by-facing \(1 document\(s\)\)\./m)
    assert.equal(await updateSeq(database), before)
    const status = await runCli(['migrate', '--status'], envOf(database))
    assert.match(status.stdout, /^001-zerglings-to-chunks\tpending\t/m)
    assert.equal((await runCli(['migrate'], envOf(database))).code, 0)
    assert.equal((await fetch(`${couch.url}/${database}/_design/overmind`, { headers: adminHeaders(couch) })).status, 404)
  })

  it('when applied, then --status shows when, by which pod, how long and how many documents, and a rerun writes nothing', async () => {
    const database = couch.uniqueDatabaseName('migrate-status')
    await seedOriginalShape(couch, database, { zerglings: 120, long: 0, longCommands: 0 })
    const run = await runCli(['migrate'], envOf(database))
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /^migrate\s+updated\s+applied 001-zerglings-to-chunks \(120 document\(s\) in \d+ ms\), 002-remove-zerglings-by-facing \(0 document\(s\) in \d+ ms\)\./m)
    const status = await runCli(['migrate', '--status'], envOf(database))
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stdout, /^001-zerglings-to-chunks\tapplied\t\d{4}-\d\d-\d\dT[\d:.]+Z\t[^\t]+\t\d+\.\d s\t120$/m)
    assert.match(status.stdout, /^lock: free$/m)
    const before = await updateSeq(database)
    const again = await runCli(['migrate'], envOf(database))
    assert.match(again.stdout, /^migrate\s+unchanged\s+2 migration\(s\) applied, none pending\./m)
    assert.equal(await updateSeq(database), before)
  })

  it('when the code of an applied migration has changed, then migrate fails naming it and writes nothing, and --status exits 1 saying so', async () => {
    const database = couch.uniqueDatabaseName('migrate-edited')
    await seedOriginalShape(couch, database, { zerglings: 30, long: 0, longCommands: 0 })
    assert.equal((await runCli(['migrate'], envOf(database))).code, 0)
    // The recorded checksum of another code: what an edit of the file after it was applied makes.
    const history = await getJson(`/${database}/overmind:migrations`)
    const applied = (history.applied as Array<Record<string, unknown>>).map((entry) => entry.id === '001-zerglings-to-chunks' ? { ...entry, checksum: 'sha256:' + '0'.repeat(64) } : entry)
    const put = await fetch(`${couch.url}/${database}/overmind:migrations`, { method: 'PUT', headers: adminHeaders(couch), body: JSON.stringify({ ...history, applied }) })
    assert.equal(put.status, 201)
    const before = await updateSeq(database)
    const run = await runCli(['migrate'], envOf(database))
    assert.equal(run.code, 1)
    assert.match(run.stderr, /step migrate failed: migration 001-zerglings-to-chunks was applied on \S+ by \S+ with checksum sha256:0{64}, but its code now has sha256:[0-9a-f]{64}\. An applied migration must never change/)
    assert.equal(await updateSeq(database), before)
    const status = await runCli(['migrate', '--status'], envOf(database))
    assert.equal(status.code, 1)
    assert.match(status.stdout, /^001-zerglings-to-chunks\tCHECKSUM CHANGED \(recorded sha256:0{64}, code sha256:[0-9a-f]{64}\)/m)
  })

  /** Raw documents in the new shape; through a store, each history is the seed's plus the load's, and the state its replay. */
  async function assertMigrated (database: string, data: OriginalData, sent: Map<string, string>): Promise<void> {
    const rows = (await getJson(`/${database}/_all_docs?include_docs=true&endkey=%22g%22`)).rows as Array<{ doc: Record<string, unknown> }>
    assert.equal(rows.length, data.histories.size)
    assert.equal(rows.filter((row) => row.doc.commandHistory !== undefined).length, 0, 'no zergling left in the original shape')
    for (const row of rows) {
      const records = data.idempotency.get(row.doc._id as string)
      if (records !== undefined && !sent.has(row.doc._id as string)) assert.deepEqual(row.doc.idempotency, records, 'idempotency records are kept')
    }
    const store = storeOn(database)
    const ids = [...data.histories.keys()]
    let next = 0
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!
        const expected = data.histories.get(id)! + (sent.get(id) ?? '')
        const read = await store.get(id, 'none')
        let commands = ''
        while (commands.length < read.historyLength) commands += (await store.history(id, { offset: commands.length, limit: 5000 })).commands.join('')
        assert.equal(read.historyLength, expected.length, `${id}: history length unchanged`)
        assert.equal(commands, expected, `${id}: the same history`)
        assert.deepEqual({ location: read.location, facing: read.facing }, replay(id, expected), `${id}: the state is the replay of its history`)
      }
    }))
    await store.close()
  }
})

/** Resolves with the run that holds the lock once it says it has changed at least `count` zerglings. */
async function progressAtLeast (runs: OvermindProcess[], count: number): Promise<OvermindProcess> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    for (const run of runs) {
      const counts = [...run.output().matchAll(/(\d+) document\(s\) changed so far/g)].map((match) => Number(match[1]))
      if (counts.some((changed) => changed >= count)) return run
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`no run changed ${count} zerglings:\n${runs.map((run) => run.output()).join('\n---\n')}`)
}

/**
 * Eight clients, each going round its share of `ids` (the long ones among them), one command per
 * visit through the replicas in turn, each with an Idempotency-Key and repeated with it after a
 * 503 (the only failure allowed), and a read of it on the other replica.
 */
function startLoad (apps: FastifyInstance[], ids: string[]): { stop: () => Promise<Map<string, string>>, errors: string[], applied: () => number } {
  const sent = new Map<string, string>()
  const errors: string[] = []
  const running = { on: true }
  let applied = 0
  const worker = async (lane: number): Promise<void> => {
    const mine = ids.filter((_, i) => i % 8 === lane)
    for (let k = 0; running.on || k < mine.length; k++) {
      const id = mine[k % mine.length]!
      const command = 'LRM'[(lane + k) % 3]!
      for (let attempt = 0; ; attempt++) {
        const answer = await apps[(k + attempt) % 2]!.inject({ method: 'POST', url: `/zerglings/${id}?history=none`, headers: { 'content-type': 'application/json', 'idempotency-key': `load-${id}-${k}` }, payload: JSON.stringify(command) })
        if (answer.statusCode === 200) break
        if (answer.statusCode !== 503 || attempt > 50) { errors.push(`POST ${id}: ${answer.statusCode} ${answer.body}`); return }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      sent.set(id, (sent.get(id) ?? '') + command)
      applied++
      const read = await apps[(k + 1) % 2]!.inject({ method: 'GET', url: `/zerglings/${id}?history=none` })
      if (read.statusCode !== 200 && read.statusCode !== 503) errors.push(`GET ${id}: ${read.statusCode} ${read.body}`)
      // A steady load, not a flood: the double shares this process's core with the migration.
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  const workers = Array.from({ length: 8 }, async (_, lane) => await worker(lane))
  return {
    errors,
    applied: () => applied,
    stop: async () => {
      running.on = false
      await Promise.all(workers)
      return sent
    }
  }
}
