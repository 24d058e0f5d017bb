// What the shared store logic (document-store.ts) needs from an adapter: raw document access
// with CouchDB's semantics. The CouchDB adapter (couch-store.ts) and the embedded one
// (pouch-store.ts) implement it; every failure is already a StoreError when it comes out.
import type { ChangeRows, ChangesRead } from './change-rows.js'
import type { BrainStatus, ZerglingStore } from './zergling-store.js'

export interface AllDocsRow { id: string, doc?: unknown }

export interface AllDocsRange {
  /** Inclusive; absent = from the start. */
  startkey?: string
  /** Inclusive; absent = to the end. */
  endkey?: string
  limit: number
  /** Each doc with `_conflicts` (its losing live leaves), as a GET with `conflicts=true`. */
  conflicts?: boolean
}

export interface GetOptions {
  /** With `_revisions`: the revision's path, newest first. */
  revs?: boolean
  /**
   * With `_conflicts`, the losing live leaves (CouchDB shows one winner and hides them), and
   * `_deleted_conflicts`, the deleted ones (CouchDB's `deleted_conflicts=true`).
   */
  conflicts?: boolean
  /**
   * That revision instead of the winner: a losing leaf, or an earlier revision (CouchDB keeps
   * their bodies until compaction, then answers `404 missing`; 3.4 compacts a busy database
   * within seconds, smoosh's `ratio_dbs` channel, so an earlier revision's body is a bonus).
   */
  rev?: string
  /** Allows a longer wait: used to learn whether a write whose answer was lost was stored. */
  patient?: boolean
  /**
   * The revision the caller holds: the answer may be NOT_MODIFIED instead of the document when
   * that is still the winner and, with `conflicts`, the document has no other leaf (CouchDB's
   * `If-None-Match` on the revision's ETag: a 304, no body). An adapter may always answer the
   * document instead.
   */
  unlessRev?: string
}

/** What getDocument answers with `unlessRev` when the document is still at that revision. */
export const NOT_MODIFIED: unique symbol = Symbol('not modified')

/** Raw document access with CouchDB semantics; every failure is already a StoreError. */
export interface DocumentBackend {
  readonly kind: ZerglingStore['kind']
  /** The document, or StoreError `not_found` (unknown, or deleted unless a `rev` is asked for). */
  getDocument (id: string, options?: GetOptions): Promise<unknown>
  /**
   * Creates (no `_rev`) or updates (`_rev`, which may be a losing leaf; `_deleted: true` writes a
   * tombstone with the body given); StoreError `conflict` on a 409. Returns the new rev.
   */
  putDocument (doc: { _id: string, _rev?: string }): Promise<string>
  /**
   * True when the write that made `rev` was taken by fewer than a quorum of the document's
   * copies (CouchDB's 202 Accepted): it is stored, but a cluster may end up holding it as a
   * conflict, so the store does not remember it as current (document-memory.ts). A store on one
   * copy (the embedded one) has no such writes and leaves it out.
   */
  acceptedWithoutQuorum? (rev: string): boolean
  /** Writes the tombstone; StoreError `conflict` when `rev` is no longer current. */
  deleteDocument (id: string, rev: string): Promise<void>
  /** `_all_docs?include_docs=true` over a key range; only rows whose winner is not deleted. */
  allDocs (range: AllDocsRange): Promise<AllDocsRow[]>
  /** The changes feed, with bodies or (`leavesOnly`) every leaf revision (change-rows.ts); absent in unit tests' backends. */
  changes? (read: ChangesRead): Promise<ChangeRows>
  check (): Promise<BrainStatus>
  close (): Promise<void>
}
