// Listening apps for the change stream's tests: on a fresh embedded store, or as replicas on one
// fresh database of the test CouchDB (the double, or a real one with COUCHDB_TEST_URL), each
// replica with its own store and so its own change feed. close() stops all of it.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createApp } from '../../../src/http/app.js'
import type { ChangeStreamOptions } from '../../../src/http/change-streams.js'
import { createCouchStore } from '../../../src/store/couch-store.js'
import { createPouchStore } from '../../../src/store/pouch-store.js'
import type { ZerglingStore } from '../../../src/store/zergling-store.js'
import type { TestCouch } from '../../support/test-couch.js'

export interface StreamApp {
  url: string
  app: FastifyInstance
  store: ZerglingStore
}

export interface StreamApps {
  replicas: StreamApp[]
  /** The embedded store's data directory. */
  dataDir?: string
  close (): Promise<void>
}

async function listen (store: ZerglingStore, stream: ChangeStreamOptions, replica: string): Promise<StreamApp> {
  const app = await createApp({ store, stream, replica })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, app, store }
}

export async function startEmbeddedStreamApp (stream: ChangeStreamOptions = {}): Promise<StreamApps> {
  const dataDir = await mkdtemp(join(tmpdir(), 'overmind-stream-'))
  const replica = await listen(await createPouchStore({ dataDir, database: 'zerglings' }), stream, 'embedded')
  return {
    replicas: [replica],
    dataDir,
    async close () {
      await replica.app.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}

/** PUT /db as an admin (https://docs.couchdb.org/en/stable/api/database/common.html#put--db). */
export async function createTestDatabase (couch: TestCouch, prefix: string): Promise<string> {
  const database = couch.uniqueDatabaseName(prefix)
  const authorization = 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64')
  const response = await fetch(`${couch.url}/${encodeURIComponent(database)}`, { method: 'PUT', headers: { authorization } })
  await response.arrayBuffer()
  assert.ok(response.status === 201 || response.status === 202, `creating ${database} answered ${response.status}`)
  return database
}

export interface ReplicaOptions {
  /** The URL it reaches CouchDB at (a proxy), if not the server's own. */
  via?: string
  requestTimeoutMs?: number
}

/** Replicas on one new database, one per entry of `replicas` (a number: that many alike). */
export async function startCouchStreamApps (couch: TestCouch, replicas: number | ReplicaOptions[], stream: ChangeStreamOptions = {}): Promise<StreamApps> {
  const database = await createTestDatabase(couch, 'stream')
  const started: StreamApp[] = []
  const each: ReplicaOptions[] = typeof replicas === 'number' ? Array.from({ length: replicas }, () => ({})) : replicas
  for (const [i, { via, requestTimeoutMs = 5000 }] of each.entries()) {
    const store = createCouchStore({ couch: { url: via ?? couch.url, username: couch.username, password: couch.password, database, requestTimeoutMs } })
    started.push(await listen(store, stream, `replica-${i}`))
  }
  return {
    replicas: started,
    async close () {
      for (const { app } of started) await app.close()
      await couch.deleteDatabase(database)
    }
  }
}

/** Spawns through the API: the zergling's id. */
export async function spawnThrough (url: string): Promise<string> {
  const response = await fetch(`${url}/zerglings/`, { method: 'POST' })
  assert.equal(response.status, 201)
  return ((await response.json()) as { zergling: { id: string } }).zergling.id
}

/** One command through the API; answers the new revision generation. */
export async function moveThrough (url: string, id: string, letters: string): Promise<number> {
  const response = await fetch(`${url}/zerglings/${id}?history=none`, { method: 'POST', body: JSON.stringify(letters) })
  assert.equal(response.status, 200, await response.clone().text())
  return Number.parseInt(((await response.json()) as { zergling: { _rev: string } }).zergling._rev, 10)
}
