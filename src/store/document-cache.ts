// A read cache for the embedded store. PouchDB's leveldb directory is locked by one process, so
// every write to it passes through this process and the cache can be kept exact: a write puts
// the new revision in, a delete or a lost race takes the entry out. It is shared by every store
// on the same directory in the process (tests open several as "replicas"), as PouchDB shares
// the leveldb handle itself. Reads were the embedded store's cost: 8.9k vs 38k req/s for GET.
import { revisionGeneration } from './revisions.js'

export interface DocumentCache {
  get (id: string): unknown
  /** Keeps `doc` unless the cache already holds a later revision of it. */
  put (id: string, doc: { _rev: string }): void
  forget (id: string): void
  /** Drops everything: after the database was reopened, only what it holds now counts. */
  clear (): void
  release (): void
}

const MAX_DOCUMENTS = 5000
/**
 * And at most this much of their JSON: a zergling document is a few hundred bytes, but one with
 * a long tail and a hundred idempotency records is tens of kilobytes, and 5000 of those would be
 * most of the heap the image allows (--max-old-space-size, Dockerfile). Measured at put (a
 * PouchDB read or write, which costs far more than the JSON.stringify).
 */
export const MAX_CACHED_BYTES = 8 * 2 ** 20

interface Entry { doc: { _rev: string }, bytes: number }

interface Shared { documents: Map<string, Entry>, bytes: number, users: number }

const byDirectory = new Map<string, Shared>()

export function openDocumentCache (directory: string): DocumentCache {
  let found = byDirectory.get(directory)
  if (found === undefined) {
    found = { documents: new Map(), bytes: 0, users: 0 }
    byDirectory.set(directory, found)
  }
  const shared = found
  shared.users++
  const { documents } = shared
  let released = false
  const remove = (id: string): void => {
    const entry = documents.get(id)
    if (entry === undefined) return
    documents.delete(id)
    shared.bytes -= entry.bytes
  }
  return {
    get (id) {
      const entry = documents.get(id)
      if (entry === undefined) return undefined
      // Map keeps insertion order: re-inserting marks it as the most recently used.
      documents.delete(id)
      documents.set(id, entry)
      return entry.doc
    },
    put (id, doc) {
      const cached = documents.get(id)
      if (cached !== undefined && revisionGeneration(cached.doc._rev) > revisionGeneration(doc._rev)) return
      remove(id)
      const entry = { doc, bytes: JSON.stringify(doc).length }
      documents.set(id, entry)
      shared.bytes += entry.bytes
      while (documents.size > MAX_DOCUMENTS || (shared.bytes > MAX_CACHED_BYTES && documents.size > 1)) remove(documents.keys().next().value!)
    },
    forget (id) { remove(id) },
    clear () {
      documents.clear()
      shared.bytes = 0
    },
    release () {
      if (released) return
      released = true
      if (--shared.users === 0) byDirectory.delete(directory)
    }
  }
}
