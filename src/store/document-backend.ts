// What the shared store logic (document-store.ts) needs from an adapter: raw document access
// with CouchDB's semantics. The CouchDB adapter (couch-store.ts) and the embedded one
// (pouch-store.ts) implement it; every failure is already a StoreError when it comes out.
import type { BrainStatus, ZerglingStore } from './zergling-store.js'

export interface AllDocsRow { id: string, doc?: unknown }

export interface AllDocsRange {
  /** Inclusive; absent = from the start. */
  startkey?: string
  /** Inclusive; absent = to the end. */
  endkey?: string
  limit: number
}

/** Raw document access with CouchDB semantics; every failure is already a StoreError. */
export interface DocumentBackend {
  readonly kind: ZerglingStore['kind']
  /**
   * The document (with `_revisions` when `revs`), or StoreError `not_found` (unknown or deleted).
   * `patient` allows a longer wait: it is used to learn whether a write whose answer was lost
   * was stored.
   */
  getDocument (id: string, options?: { revs?: boolean, patient?: boolean }): Promise<unknown>
  /** Creates (no `_rev`) or updates (`_rev`); StoreError `conflict` on a 409. Returns the new rev. */
  putDocument (doc: { _id: string, _rev?: string }): Promise<string>
  /** Writes the tombstone; StoreError `conflict` when `rev` is no longer current. */
  deleteDocument (id: string, rev: string): Promise<void>
  /** `_all_docs?include_docs=true` over a key range. */
  allDocs (range: AllDocsRange): Promise<AllDocsRow[]>
  check (): Promise<BrainStatus>
  close (): Promise<void>
}
