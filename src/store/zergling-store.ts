// The contract every store keeps (CouchDB through nano, embedded PouchDB). One contract test
// suite (test/store/zergling-store.contract.ts) runs against each, so both behave the same.
import type { Zergling } from '../domain/zergling.js'

export interface StoredZergling extends Zergling {
  /** The document revision after the last write, as CouchDB reports it (`N-hash`). */
  rev: string
}

export interface ListOptions {
  /** Page size, 1..1000. */
  limit: number
  /** Opaque cursor from the previous page's `next`; absent for the first page. */
  cursor?: string
}

export interface ZerglingPage {
  /** Ordered by id; never contains design documents or anything that is not a zergling. */
  zerglings: StoredZergling[]
  /** Present when there may be more: pass it back as `cursor`. */
  next?: string
}

/** What the store can say about the brain, for `/_health` and `/readyz`. */
export type BrainStatus =
  | { ok: true }
  | { ok: false, kind: 'unavailable' | 'missing_database' | 'unauthorized', reason: string }

export interface ZerglingStore {
  /** `couchdb` or `embedded`, for logs and `/_health`. */
  readonly kind: 'couchdb' | 'embedded'
  /** Stores a new zergling; its id must not exist yet. */
  create (zergling: Zergling): Promise<StoredZergling>
  /** Throws StoreError `not_found` for an unknown or deleted id. */
  get (id: string): Promise<StoredZergling>
  /** One page in stable id order; never loads more than one page of documents. */
  list (options: ListOptions): Promise<ZerglingPage>
  /**
   * Read-modify-write on the document's revision: `change` gets the current state and returns the
   * next one. On a revision conflict the store re-reads and calls `change` again (bounded,
   * jittered backoff), so concurrent writers never lose each other's changes. `change` must be
   * pure; whatever it throws (a DomainError) propagates and nothing is stored. After the last
   * retry it throws StoreError `conflict`: never a false success.
   */
  update (id: string, change: (current: Zergling) => Zergling): Promise<StoredZergling>
  /** Deletes and returns the last state; throws `not_found` when there is nothing to delete. */
  remove (id: string): Promise<StoredZergling>
  /** Reachable, authorised, database present? Never throws. */
  check (): Promise<BrainStatus>
  /** Releases connections and files; the store is unusable afterwards. */
  close (): Promise<void>
}
