// A database's changes feed as both adapters read it: CouchDB's `_changes` (normal, or longpoll
// when asked to wait) and PouchDB's `changes()`, one row per document at its latest change.
// https://docs.couchdb.org/en/stable/api/database/changes.html
// Positions are opaque (`"3-g1AAAA…"` on CouchDB 2+, an integer on PouchDB and CouchDB 1.x):
// they are passed back as they came, never parsed or compared (shared/reference/couchdb-3.4,
// surprise 12). A row's own `seq` is a position to resume from, like `last_seq`.

export interface ChangesRead {
  /** A position handed out before, `0` for the beginning, or `now` for the end. */
  since: string
  /** At most this many rows. */
  limit: number
  /** How long to wait for a change when there is none yet; 0 answers at once. */
  waitMs: number
  /** Gives the read up: it then answers no rows and `since` as its position. */
  signal?: AbortSignal
  /**
   * Every leaf revision of each document (`style=all_docs`) and no bodies: for a reader that
   * only needs to know which revisions are current (memory-watch.ts), not what they hold.
   */
  leavesOnly?: boolean
}

export interface ChangeRow {
  seq: string
  id: string
  /** The winning revision after this change. */
  rev: string
  deleted: boolean
  /** The winning revision's body (`include_docs=true`); a tombstone for a deleted document. */
  doc?: unknown
  /** With `leavesOnly`: how many leaf revisions it has (more than one: a conflict, or a merged loser's tombstone). */
  leaves?: number
}

export interface ChangeRows {
  rows: ChangeRow[]
  /** Where the next read starts: after every row read, whatever they were. */
  lastSeq: string
}

/** CouchDB's `since` values (and PouchDB's integers): `now`, `0`, `N` or `N-opaque`. */
const POSITION = /^(now|[0-9]{1,20}(-[A-Za-z0-9_-]{1,8000})?)$/

export function isChangesPosition (since: string): boolean {
  return POSITION.test(since)
}
