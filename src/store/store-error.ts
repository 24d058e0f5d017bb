// One table of storage failures. Adapters translate CouchDB/PouchDB errors into these kinds;
// the HTTP layer maps kinds to status codes in one place (src/http/error-handler.ts).
// Messages are sentences for people and never carry URLs with credentials.
import type { StoreFailure } from './store-failure.js'

export type StoreErrorKind =
  /** No zergling with that id (never existed, or deleted). */
  | 'not_found'
  /** The write kept losing the revision race after every retry; nothing was applied. */
  | 'conflict'
  /** CouchDB did not answer, answered 5xx, or timed out; nothing was changed. Safe to retry later. */
  | 'unavailable'
  /**
   * CouchDB took a write but went away before saying whether it was stored. Retrying with the
   * same Idempotency-Key settles it; retrying without one may apply it twice.
   */
  | 'outcome_unknown'
  /** The database does not exist: `overmind bootstrap` has not run. */
  | 'missing_database'
  /** CouchDB rejected the credentials, or the user may not use the database. */
  | 'unauthorized'
  /** A list cursor that this service did not hand out. */
  | 'invalid_cursor'
  /** An Idempotency-Key seen before with different commands. */
  | 'idempotency_key_reused'
  /** The client pinned revisions (If-Match) and the zergling is at another one (`rev`); nothing was changed. */
  | 'precondition_failed'

export class StoreError extends Error {
  readonly kind: StoreErrorKind
  /**
   * The request may have reached CouchDB and taken effect without the answer coming back (a
   * timeout, a connection cut after sending). A write that fails this way must be confirmed by
   * reading; one whose connection was refused, or that CouchDB answered, did nothing.
   */
  readonly ambiguous: boolean
  /** Which store failed and why, when it knows: the HTTP layer words its reason from this. */
  readonly failure?: StoreFailure
  /** `precondition_failed`: the zergling's current revision, which the client did not name. */
  readonly rev?: string

  constructor (kind: StoreErrorKind, message: string, options?: { cause?: unknown, ambiguous?: boolean, failure?: StoreFailure, rev?: string }) {
    super(message, options)
    this.name = 'StoreError'
    this.kind = kind
    this.ambiguous = options?.ambiguous ?? false
    if (options?.failure !== undefined) this.failure = options.failure
    if (options?.rev !== undefined) this.rev = options.rev
  }
}

/**
 * The store could not be opened at all. The message is one sentence for the operator who
 * starts the service (it may name the data directory; never a credential).
 */
export class StoreOpenError extends Error {
  readonly failure: StoreFailure

  constructor (message: string, failure: StoreFailure, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreOpenError'
    this.failure = failure
  }
}

export function notFound (): StoreError {
  return new StoreError('not_found', 'There is no zergling with this id.')
}

/**
 * The one translation of a document answer both stores give alike — PouchDB answers with
 * CouchDB's status codes (https://docs.couchdb.org/en/stable/api/document/common.html): 404 no
 * such document (or deleted), 409 a stale `_rev`. Undefined for every other status: what that
 * means is the adapter's (a missing database, a refused login, a disk that failed).
 */
export function documentAnswerError (status: number | undefined): StoreError | undefined {
  if (status === 404) return notFound()
  if (status === 409) return new StoreError('conflict', 'The zergling was changed by another writer.')
  return undefined
}

/**
 * Unless the zergling is at one of the revisions `pinned` names (a client's If-Match), a
 * `precondition_failed` carrying the one it is at. The check only decides early: what makes it
 * race-safe is that the write that follows names that same revision, so CouchDB refuses it (409)
 * should anyone have written meanwhile.
 */
export function checkPinned (pinned: readonly string[] | undefined, rev: string): void {
  if (pinned === undefined || pinned.includes(rev)) return
  throw new StoreError('precondition_failed', `The zergling is at revision ${rev} now, not at the one If-Match names; nothing was changed.`, { rev })
}

export function isStoreError (error: unknown, kind?: StoreErrorKind): error is StoreError {
  return error instanceof StoreError && (kind === undefined || error.kind === kind)
}
