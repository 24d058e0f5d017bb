// A read cache for the embedded store. PouchDB's leveldb directory is locked by one process, so
// every write to it passes through this process and the cache can be kept exact: a write puts
// the new revision in, a delete or a lost race takes the entry out. It is shared by every store
// on the same directory in the process (tests open several as "replicas"), as PouchDB shares
// the leveldb handle itself. Reads were the embedded store's cost: 8.9k vs 38k req/s for GET.
import { LRUCache } from 'lru-cache'
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
 * And at most this much of their JSON: a zergling document is a few kilobytes (its write marks),
 * but one with a long tail and a hundred idempotency records is tens of kilobytes, and 5000 of
 * those would be most of the heap the image allows (--max-old-space-size, Dockerfile). Measured
 * at put (a PouchDB read or write, which costs far more than the JSON.stringify).
 */
export const MAX_CACHED_BYTES = 8 * 2 ** 20

type Doc = { _rev: string }

const byDirectory = new Map<string, { documents: LRUCache<string, Doc>, users: number }>()

export function openDocumentCache (directory: string): DocumentCache {
  let shared = byDirectory.get(directory)
  if (shared === undefined) {
    // Least recently used out first, by count and by bytes (lru-cache, as document-memory.ts).
    shared = { documents: new LRUCache({ max: MAX_DOCUMENTS, maxSize: MAX_CACHED_BYTES, sizeCalculation: (doc) => JSON.stringify(doc).length }), users: 0 }
    byDirectory.set(directory, shared)
  }
  shared.users++
  const { documents } = shared
  let released = false
  return {
    get: (id) => documents.get(id),
    put (id, doc) {
      const cached = documents.peek(id)
      if (cached !== undefined && revisionGeneration(cached._rev) > revisionGeneration(doc._rev)) return
      documents.set(id, doc)
    },
    forget (id) { documents.delete(id) },
    clear () { documents.clear() },
    release () {
      if (released) return
      released = true
      if (--shared.users === 0) byDirectory.delete(directory)
    }
  }
}
