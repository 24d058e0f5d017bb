// The embedded store: PouchDB on leveldb under the data directory, so the quick start needs no
// CouchDB. Same documents, same conflict loop (PouchDB answers 409 like CouchDB does); there is
// no bootstrap for it, so it creates its own database.
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import PouchDB from 'pouchdb'
import { openDocumentCache } from './document-cache.js'
import type { DocumentBackend } from './document-backend.js'
import { createDocumentStore, type DocumentStoreOptions } from './document-store.js'
import { conflictsOf } from './revisions.js'
import { StoreError } from './store-error.js'
import type { ZerglingStore } from './zergling-store.js'

export interface PouchStoreOptions extends DocumentStoreOptions {
  dataDir: string
  database: string
}

export async function createPouchStore ({ dataDir, database, ...options }: PouchStoreOptions): Promise<ZerglingStore> {
  await mkdir(dataDir, { recursive: true })
  const db = new PouchDB<Record<string, unknown>>(join(dataDir, database))
  // Opening is lazy in PouchDB: fail here, with a clear error, if the directory is unusable.
  await translate(db.info(), 'open')
  let open = true
  const cache = openDocumentCache(resolve(dataDir, database))

  const backend: DocumentBackend = {
    kind: 'embedded',
    // The cache holds winners as read or written, `_conflicts` included: this process's own
    // writes never make a conflict (only a replication into the directory could).
    getDocument: async (id, { revs = false, conflicts = false, rev } = {}) => {
      const exact = revs || rev !== undefined
      const cached = exact ? undefined : cache.get(id)
      if (cached !== undefined) return cached
      const doc: Record<string, unknown> & { _rev: string } = await translate(db.get(id, { revs, conflicts, ...(rev === undefined ? {} : { rev }) }), 'read')
      if (conflicts) {
        // PouchDB's get knows no `deleted_conflicts`: its leaves, read only on a cache miss, tell.
        const leaves = await translate(db.get(id, { open_revs: 'all' }), 'read') as Array<{ ok?: { _rev: string, _deleted?: boolean } }>
        const deleted = leaves.flatMap(({ ok }) => ok?._deleted === true && ok._rev !== doc._rev ? [ok._rev] : [])
        if (deleted.length > 0) doc._deleted_conflicts = deleted
      }
      if (!exact) cache.put(id, doc)
      return doc
    },
    putDocument: async (doc) => {
      let rev: string
      try {
        rev = (await translate(db.put(doc), 'write')).rev
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
      await translate(db.remove(id, rev), 'delete')
    },
    allDocs: async ({ startkey, endkey, limit, conflicts = false }) => {
      const range = { ...(startkey === undefined ? {} : { startkey }), ...(endkey === undefined ? {} : { endkey }) }
      const result = await translate(db.allDocs({ include_docs: true, conflicts, limit, ...range }), 'list')
      return result.rows.map((row) => ({ id: row.id, doc: row.doc }))
    },
    check: async () => open
      ? { ok: true }
      : { ok: false, kind: 'unavailable', reason: 'The embedded store is closed.' },
    close: async () => {
      if (!open) return
      open = false
      cache.release()
      try {
        await db.close()
      } catch (error) {
        // Instances on the same directory in one process share the leveldb handle (PouchDB keeps
        // one per path): when another one closed it first, there is nothing left to release.
        if ((error as { status?: number }).status !== 412) throw error
      }
    }
  }
  return createDocumentStore(backend, options)
}

/** PouchDB errors carry CouchDB's status and name; 404 and 409 mean what they mean there. */
async function translate<T> (operation: Promise<T>, action: string): Promise<T> {
  try {
    return await operation
  } catch (error) {
    const status = (error as { status?: number }).status
    if (status === 404) throw new StoreError('not_found', 'There is no zergling with this id.')
    if (status === 409) throw new StoreError('conflict', 'The zergling was changed by another writer.')
    throw new StoreError('unavailable', `The embedded store could not ${action}: ${(error as Error).message}`, { cause: error })
  }
}
