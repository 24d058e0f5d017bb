// Loading many zerglings fast. The documents are copied from what the store itself writes for a
// freshly spawned zergling (spawned once through the store API into a scratch directory), so the
// bench never hard-codes the document shape: the history is moving out of the zergling document
// and this keeps working whatever the store writes, as long as a spawn writes plain documents.
import { randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import PouchDB from 'pouchdb'
import { createPouchStore } from '../../src/store/pouch-store.js'
import { bulkDocs, readFirstRow, type CouchServer } from './couch.js'
import { spawnIn } from './store-calls.js'

const BATCH = 5000

/** Fresh zerglings' documents, by id. */
export type DocumentFactory = (id: string) => object[]

/** Spawns one zergling with the embedded store in `scratchDir` and returns a copier of its documents. */
export async function learnDocuments (scratchDir: string): Promise<DocumentFactory> {
  const store = await createPouchStore({ dataDir: scratchDir, database: 'template' })
  let id: string
  try {
    id = await spawnIn(store)
  } finally {
    await store.close()
  }
  const db = new PouchDB(join(scratchDir, 'template'))
  const rows = (await db.allDocs({ include_docs: true })).rows
  await db.close()
  const docs = rows.flatMap(({ doc }) => doc === undefined || doc._id.startsWith('_design/') ? [] : [doc])
    .map(({ _rev, ...doc }) => doc)
  const json = JSON.stringify(docs)
  if (!json.includes(id)) throw new Error('the spawned zergling\'s documents do not carry its id')
  return (newId) => JSON.parse(json.replaceAll(id, newId)) as object[]
}

function newDocuments (factory: DocumentFactory, count: number): { ids: string[], docs: object[] } {
  const ids = Array.from({ length: count }, () => randomUUID())
  return { ids, docs: ids.flatMap(factory) }
}

/**
 * Writes `count` zerglings straight into the embedded store's leveldb (the same path
 * createPouchStore opens). The service must not be running on that directory: leveldb is
 * single-process.
 */
export async function seedEmbedded (factory: DocumentFactory, dataDir: string, database: string, count: number): Promise<string[]> {
  await mkdir(dataDir, { recursive: true })
  const db = new PouchDB(join(dataDir, database))
  const all: string[] = []
  try {
    for (let done = 0; done < count; done += BATCH) {
      const { ids, docs } = newDocuments(factory, Math.min(BATCH, count - done))
      await db.bulkDocs(docs)
      all.push(...ids)
    }
  } finally {
    await db.close()
  }
  return all
}

export async function seedCouch (factory: DocumentFactory, server: CouchServer, database: string, count: number): Promise<string[]> {
  const all: string[] = []
  for (let done = 0; done < count; done += BATCH) {
    const { ids, docs } = newDocuments(factory, Math.min(BATCH, count - done))
    await bulkDocs(server, database, docs)
    all.push(...ids)
  }
  // The double indexes ids for _all_docs offsets lazily, from its changes feed, on the next page
  // read from a key: after 100 000 seeded documents that catch-up took a second or more, which the
  // first list request then paid (p99 2.7 s in one run). A real CouchDB indexes as it writes; one
  // page here pays it before measuring.
  if (server.kind === 'double') await readFirstRow(server, database)
  return all
}

/** Spawns `count` zerglings through the API (for the few each scenario needs). */
export async function spawnThroughApi (baseUrl: string, count: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${baseUrl}/zerglings/`, { method: 'POST' })
    const body = await response.json() as { zergling?: { id: string } }
    if (response.status !== 201 || body.zergling === undefined) throw new Error(`spawning answered ${response.status}`)
    ids.push(body.zergling.id)
  }
  return ids
}

/** Sends commands through the API, asking for no history back (ignored until `?history` lands). */
export async function commandThroughApi (baseUrl: string, id: string, letters: string): Promise<void> {
  const response = await fetch(`${baseUrl}/zerglings/${id}?history=none`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(letters)
  })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`a command answered ${response.status}`)
}

/** Gives a zergling a history of `length` commands, 1000 letters per request (the most one request may carry). */
export async function buildHistory (baseUrl: string, id: string, length: number): Promise<void> {
  for (let done = 0; done < length; done += 1000) {
    await commandThroughApi(baseUrl, id, 'M'.repeat(Math.min(1000, length - done)))
  }
}
