// Why a store cannot serve, as far as it knows, and the one sentence that says so. Readiness
// (`/readyz`) and the 503s clients get use the same sentence, so an operator reading either
// learns which store failed and what to do. The sentences are fixed text: never a library's
// message (which may hold paths), a URL or a credential.

/** What went wrong, in terms an operator can act on. */
export type FailureCause =
  /** The disk under the data directory is full. */
  | 'disk_full'
  /** The data directory (or a file in it) may not be written: permissions, a read-only mount. */
  | 'not_writable'
  /** Another process holds the data directory's lock. */
  | 'in_use'
  /** Files in the data directory are damaged or missing: restoring them is an operator's job. */
  | 'damaged'
  /** Some other I/O error from the disk. */
  | 'io_error'
  /** The store was closed (shutdown). */
  | 'closed'

export interface StoreFailure {
  store: 'couchdb' | 'embedded'
  cause: FailureCause
}

const EMBEDDED: Record<FailureCause, string> = {
  disk_full: 'The embedded store cannot write: the disk under its data directory is full. Nothing was changed; it serves again by itself once there is space.',
  not_writable: 'The embedded store cannot write: its data directory is not writable (permissions or a read-only disk). Nothing was changed; it serves again by itself once the directory is writable.',
  in_use: 'The embedded store\'s data directory is locked by another process; nothing was changed.',
  damaged: 'The embedded store\'s files are damaged, so it stopped serving rather than answer wrongly; nothing was changed. An operator must restore the data directory from a backup, or move it aside to start empty.',
  io_error: 'The embedded store hit an I/O error and is reopening its files; nothing was changed. Retry shortly.',
  closed: 'The embedded store is closed.'
}

export function describeFailure (failure: StoreFailure): string {
  if (failure.store === 'embedded') return EMBEDDED[failure.cause]
  return failure.cause === 'closed' ? 'The CouchDB store is closed.' : 'The brain (CouchDB) did not answer in time; nothing was changed. Retry shortly.'
}
