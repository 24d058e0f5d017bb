// The service listening on a port of 127.0.0.1, on the embedded store or on a fresh database of a
// test CouchDB (the double, or COUCHDB_TEST_URL's server), for tests that run a client process.
import type { AddressInfo } from 'node:net'
import { createApp } from '../../src/http/app.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import { startEmbeddedApp } from './embedded-app.js'
import type { TestCouch } from './test-couch.js'

export interface ServedInstance {
  /** `http://127.0.0.1:PORT` */
  url: string
  close (): Promise<void>
}

export type StoreKind = 'embedded' | 'CouchDB'

export async function serveEmbedded (): Promise<ServedInstance> {
  const embedded = await startEmbeddedApp()
  await embedded.app.listen({ host: '127.0.0.1', port: 0 })
  return { url: `http://127.0.0.1:${(embedded.app.server.address() as AddressInfo).port}`, close: embedded.close }
}

/** A database of its own on `couch`, created as `overmind bootstrap` would (a plain PUT). */
export async function serveOnCouch (couch: TestCouch, prefix: string): Promise<ServedInstance & { database: string }> {
  const database = couch.uniqueDatabaseName(prefix)
  const created = await fetch(`${couch.url}/${database}`, { method: 'PUT', headers: { authorization: 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64') } })
  await created.arrayBuffer()
  if (created.status !== 201) throw new Error(`creating ${database} answered ${created.status}`)
  const store = createCouchStore({ couch: { url: couch.url, username: couch.username, password: couch.password, database, requestTimeoutMs: 5000 } })
  const app = await createApp({ store })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    database,
    close: async () => {
      await app.close()
      await couch.deleteDatabase(database)
    }
  }
}
