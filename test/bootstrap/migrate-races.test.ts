// The two races of migration 001 with a command, each made to happen (on the double, or on
// COUCHDB_TEST_URL's server): a command landing between the migration's read and its write, and
// the migration's write landing between a replica's read and its write. The `_rev` decides both:
// the second writer gets 409, reads again and decides again, and the command is in the history once.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { createCouchClient, type CouchClient } from '../../src/bootstrap/couch-client.js'
import { migration } from '../../src/bootstrap/migrations/001-zerglings-to-chunks.js'
import { migrationDatabase } from '../../src/bootstrap/migrations/database.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { forwardTo, listenOnLoopback } from '../support/loopback-server.js'
import { adminHeaders, replay, seedOriginalShape } from '../support/original-shape.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { stepContextOn } from './helpers.js'

describe('migration 001 racing a command (double, or COUCHDB_TEST_URL)', () => {
  let couch: TestCouch
  before(async () => { couch = await startTestCouch({ version: '3.4.3' }) })
  after(async () => { await couch.close() })

  const storeAt = (url: string, database: string): ZerglingStore => createCouchStore({ couch: { url, username: couch.username, password: couch.password, database, requestTimeoutMs: 10_000 } })

  /** 30 zerglings in the original shape, the first with 2 500 commands (two chunks' worth). */
  async function seeded (): Promise<{ database: string, histories: Map<string, string>, long: string }> {
    const database = couch.uniqueDatabaseName('races')
    const { histories } = await seedOriginalShape(couch, database, { zerglings: 30, long: 1, longCommands: 2500 })
    const long = [...histories].find(([, history]) => history.length === 2500)![0]
    return { database, histories, long }
  }

  async function assertHistory (store: ZerglingStore, id: string, expected: string): Promise<void> {
    const read = await store.get(id, 'none')
    assert.equal(read.historyLength, expected.length)
    assert.equal((await store.history(id, { offset: 0, limit: 5000 })).commands.join(''), expected, 'every command once, in order')
    assert.deepEqual({ location: read.location, facing: read.facing }, replay(id, expected))
    const raw = await (await fetch(`${couch.url}/${database(store)}/${id}`, { headers: adminHeaders(couch) })).json() as Record<string, unknown>
    // 2 500 commands: the first chunk moves out, the newest 1 500 stay in the main document.
    assert.deepEqual([raw.commandHistory, raw.archivedChunks], [undefined, 1], 'in the new shape, one chunk archived')
  }
  const databases = new WeakMap<ZerglingStore, string>()
  const database = (store: ZerglingStore): string => databases.get(store)!

  it('when a command lands between the migration\'s read of a page and its write, then the migration\'s write of that zergling is refused, it reads again and skips it, and the command is in the history once', async () => {
    const { database: name, histories, long } = await seeded()
    const store = storeAt(couch.url, name)
    databases.set(store, name)
    const real = createCouchClient(couch.url, 10_000)
    let commanded = false
    const client: CouchClient = {
      url: real.url,
      async request (method, path, options) {
        if (method === 'POST' && path.endsWith('/_bulk_docs') && !commanded) {
          commanded = true
          await store.command(long, { commands: ['M'], history: 'none' })
        }
        return await real.request(method, path, options)
      }
    }
    const page = await migration.page(migrationDatabase(stepContextOn(couch, name, [], client)), undefined, false)
    assert.equal(commanded, true)
    assert.equal(page.changed, 29, 'the raced zergling was converted by the command, not by the migration')
    await assertHistory(store, long, histories.get(long)! + 'M')
    await store.close()
  })

  it('when the migration\'s write lands between a replica\'s read of a zergling and its write, then the replica\'s write is refused, it reads again and applies its command once to the migrated zergling', async () => {
    const { database: name, histories, long } = await seeded()
    const upstream = new URL(couch.url)
    let migrated = false
    const db = migrationDatabase(stepContextOn(couch, name, []))
    // The replica's CouchDB: its write of the zergling waits until the migration has run.
    const proxy = await listenOnLoopback(createServer((req, res) => {
      const hold = req.method === 'PUT' && (req.url ?? '').split('?')[0] === `/${name}/${long}` && !migrated
      const go = async (): Promise<void> => {
        if (hold) {
          migrated = true
          assert.equal((await migration.page(db, undefined, false)).changed, 30)
        }
        forwardTo(upstream, req, res, (answer) => { res.writeHead(answer.statusCode ?? 502, answer.headers); answer.pipe(res) })
      }
      go().catch(() => res.destroy())
    }))
    const replica = storeAt(proxy.url, name)
    const reader = storeAt(couch.url, name)
    databases.set(reader, name)
    try {
      const answer = await replica.command(long, { commands: ['M'], history: 'none' })
      assert.equal(migrated, true)
      assert.equal(answer.result.historyLength, 2501)
      await assertHistory(reader, long, histories.get(long)! + 'M')
    } finally {
      await replica.close()
      await reader.close()
      await proxy.close()
    }
  })
})
