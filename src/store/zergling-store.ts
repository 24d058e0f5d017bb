// The contract every store keeps (CouchDB over HTTP, embedded PouchDB). One contract test
// suite (test/store/zergling-store.contract.ts) runs against each, so both behave the same.
import type { Command, ZerglingState } from '../domain/zergling.js'
import type { ChangesRead } from './change-rows.js'
import type { StoreFailure } from './store-failure.js'

/** How much of the history a caller wants back: all of it, none, or the last N commands. */
export type HistoryView = 'all' | 'none' | { last: number }

export interface StoredZergling extends ZerglingState {
  /** The document revision after the write that produced this state (`N-hash`). */
  rev: string
  /** How many commands it has obeyed in all. */
  historyLength: number
  /** The part of the history asked for (oldest first); absent for `'none'`. */
  commandHistory?: Command[]
}

export interface ListOptions {
  /** Page size, 1..1000. */
  limit: number
  /** Opaque cursor from the previous page's `next`; absent for the first page. */
  cursor?: string
}

export interface ZerglingPage {
  /** Ordered by id, without history; never design documents or anything that is not a zergling. */
  zerglings: StoredZergling[]
  /** Present when there may be more: pass it back as `cursor`. */
  next?: string
}

export interface HistoryPage {
  /** Commands `offset .. offset+limit` of the history, oldest first. */
  commands: Command[]
  /** The history's length when it was read. */
  total: number
}

export interface CommandRequest {
  commands: Command[]
  history: HistoryView
  /**
   * A client's key for this request: a repeat with the same key and the same commands answers
   * the first result again and applies nothing; the same key with other commands is rejected
   * (StoreError `idempotency_key_reused`). The last IDEMPOTENCY_KEYS_KEPT keys are kept per zergling.
   */
  idempotencyKey?: string
  /**
   * Apply only on one of these revisions (a client's If-Match), else StoreError
   * `precondition_failed` with the current one. Such a request goes in a write of its own, named
   * with that revision; a lost race is never retried on a revision the client did not name.
   */
  ifMatch?: readonly string[]
}

export interface Outcome<T> {
  result: T
  /** True when an Idempotency-Key matched an earlier request and nothing was applied now. */
  replayed: boolean
}

/**
 * One zergling's new state in the changes feed, at the position `seq`: `spawned` (no command
 * yet), `moved` (with the last few commands as `commandHistory`) or `deleted`.
 */
export type ZerglingChange =
  | { type: 'spawned' | 'moved', seq: string, zergling: StoredZergling }
  | { type: 'deleted', seq: string, zergling: { id: string, rev: string } }

export interface ZerglingChangePage {
  /** Zerglings only: history chunks and design documents are read past, never shown. */
  changes: ZerglingChange[]
  /** Where the next read starts. */
  lastSeq: string
  /** Fewer rows than the limit came back: the read reached the end of the feed as it was then. */
  complete: boolean
}

/**
 * What the store can say about the brain, for `/_health` and `/readyz`. `ok` means it can read
 * and write now; `failure` says which store failed and why, when it knows.
 */
export type BrainStatus =
  | { ok: true }
  | { ok: false, kind: 'unavailable' | 'missing_database' | 'unauthorized', reason: string, failure?: StoreFailure }

export interface ZerglingStore {
  /** `couchdb` or `embedded`, for logs and `/_health`. */
  readonly kind: 'couchdb' | 'embedded'
  /**
   * Spawns a zergling at (0,0) facing N. With an idempotency key the id is derived from the key,
   * so a repeat finds the first spawn instead of making a second zergling.
   */
  spawn (options?: { idempotencyKey?: string }): Promise<Outcome<StoredZergling>>
  /** Throws StoreError `not_found` for an unknown or deleted id. */
  get (id: string, history: HistoryView): Promise<StoredZergling>
  /** One page in stable id order; never loads more than one page of documents. */
  list (options: ListOptions): Promise<ZerglingPage>
  /** A slice of the history, for `GET /zerglings/:id/history`. */
  history (id: string, slice: { offset: number, limit: number }): Promise<HistoryPage>
  /**
   * Applies commands in order as one change (read-modify-write on the revision). Concurrent
   * commands on one zergling in one process are applied together in one write; a revision
   * conflict with another process is retried from a fresh read (bounded, jittered backoff), so
   * no acknowledged command is lost or applied twice. After the last retry it throws StoreError
   * `conflict`: never a false success. The cost does not grow with the history.
   */
  command (id: string, request: CommandRequest): Promise<Outcome<StoredZergling>>
  /**
   * Deletes and returns the last state; throws `not_found` when there is nothing to delete, and
   * `precondition_failed` when `ifMatch` names revisions the zergling is not at (nothing deleted).
   */
  remove (id: string, history: HistoryView, options?: { ifMatch?: readonly string[] }): Promise<StoredZergling>
  /**
   * The next page of the changes feed after `since` (StoreError `invalid_cursor` for a position
   * the store never handed out), waiting up to `waitMs` for one when there is none.
   */
  changes (read: ChangesRead): Promise<ZerglingChangePage>
  /** Reachable, authorised, database present, writes working? Never throws; stays fast. */
  check (): Promise<BrainStatus>
  /** Releases connections and files; the store is unusable afterwards. */
  close (): Promise<void>
}
