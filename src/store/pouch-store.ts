// The embedded store: PouchDB on leveldb under the data directory, so the quick start needs no
// CouchDB. Same documents, same conflict loop (PouchDB answers 409 like CouchDB does); there is
// no bootstrap for it, so it creates its own database. How it behaves when the disk fails or
// the files are damaged is embedded-database.ts's business.
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { DocumentBackend } from './document-backend.js'
import { createDocumentStore, type DocumentStoreOptions } from './document-store.js'
import { openEmbeddedDatabase, type EmbeddedLogger, type Pouch } from './embedded-database.js'
import { readPouchChanges } from './pouch-changes.js'
import { conflictsOf } from './revisions.js'
import type { ZerglingStore } from './zergling-store.js'

export interface PouchStoreOptions extends DocumentStoreOptions {
  dataDir: string
  database: string
  /** Where failures and recoveries are told; silent without one. */
  logger?: EmbeddedLogger
}

const SILENT: EmbeddedLogger = { info () {}, warn () {}, error () {} }

type Doc = Record<string, unknown> & { _rev: string }

/** Throws StoreOpenError (one sentence for the operator) when the directory cannot be used. */
export async function createPouchStore ({ dataDir, database, logger = SILENT, ...options }: PouchStoreOptions): Promise<ZerglingStore> {
  await mkdir(dataDir, { recursive: true })
  const embedded = await openEmbeddedDatabase(resolve(join(dataDir, database)), logger)
  const { cache, read, write } = embedded
  let open = true

  /** A cache miss (or a read of one revision, or with its path): PouchDB itself. */
  async function readDocument (db: Pouch, id: string, { revs, conflicts, rev, exact }: { revs: boolean, conflicts: boolean, rev?: string, exact: boolean }): Promise<Doc> {
    const doc = await db.get(id, { revs, conflicts, ...(rev === undefined ? {} : { rev }) }) as Doc
    if (conflicts) {
      // PouchDB's get knows no `deleted_conflicts`: its leaves, read only on a cache miss, tell.
      const leaves = await db.get(id, { open_revs: 'all' }) as Array<{ ok?: { _rev: string, _deleted?: boolean } }>
      const deleted = leaves.flatMap(({ ok }) => ok?._deleted === true && ok._rev !== doc._rev ? [ok._rev] : [])
      if (deleted.length > 0) doc._deleted_conflicts = deleted
    }
    if (!exact) cache.put(id, doc)
    return doc
  }

  const backend: DocumentBackend = {
    kind: 'embedded',
    // The cache holds winners as read or written, `_conflicts` included: this process's own
    // writes never make a conflict (only a replication into the directory could). A hit is
    // answered at once, without the bookkeeping of a read that waits for PouchDB (every GET of
    // a zergling read or written lately comes this way).
    getDocument: async (id, { revs = false, conflicts = false, rev } = {}) => {
      const exact = revs || rev !== undefined
      const cached = exact ? undefined : embedded.cached(id)
      return cached ?? await read(async (db) => await readDocument(db, id, { revs, conflicts, rev, exact }))
    },
    putDocument: async (doc) => {
      let rev: string
      try {
        rev = (await write(async (db) => await db.put(doc))).rev
      } catch (error) {
        cache.forget(doc._id)
        throw error
      }
      // A write on a conflicted document (a merge) or a tombstone on a losing leaf leaves
      // leaves this cache cannot see: the next read asks PouchDB.
      const conflicted = conflictsOf(cache.get(doc._id)).length > 0
      if (conflicted || (doc as { _deleted?: boolean })._deleted === true) cache.forget(doc._id)
      else cache.put(doc._id, { ...doc, _rev: rev })
      return rev
    },
    deleteDocument: async (id, rev) => {
      cache.forget(id)
      await write(async (db) => await db.remove(id, rev))
    },
    // Ids from `_all_docs`, documents one by one: PouchDB's `include_docs` throws out of a
    // callback (crashing the process) when a document's read fails, and `get` shows the failure.
    allDocs: async ({ startkey, endkey, limit, conflicts = false }) => await read(async (db) => {
      const range = { ...(startkey === undefined ? {} : { startkey }), ...(endkey === undefined ? {} : { endkey }) }
      const { rows } = await db.allDocs({ limit, ...range })
      const docs = await Promise.all(rows.map(async ({ id, value }) => {
        const cached = cache.get(id) as { _rev: string } | undefined
        if (cached?._rev === value.rev) return cached
        // Deleted since it was listed (404): skipped, as if the listing had come a moment later.
        // Not put in the cache: a page of a large store would push out the zerglings being
        // steered for documents a scan reads once (list p99, 100 000 zerglings: see bench/NOTES.md).
        return await db.get(id, { conflicts }).catch((error: { status?: number }) => { if (error.status === 404) return undefined; throw error })
      }))
      return rows.flatMap(({ id }, i) => docs[i] === undefined ? [] : [{ id, doc: docs[i] }])
    }),
    changes: async (request) => await readPouchChanges(read, request),
    check: async () => open
      ? await embedded.check()
      : { ok: false, kind: 'unavailable', reason: 'The embedded store is closed.', failure: { store: 'embedded', cause: 'closed' } },
    close: async () => {
      if (!open) return
      open = false
      await embedded.release()
    }
  }
  return createDocumentStore(backend, options)
}
