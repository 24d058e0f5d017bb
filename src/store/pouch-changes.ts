// The embedded store's changes feed: PouchDB's `changes()` with `include_docs`. A read that may
// wait and finds nothing listens with a live `changes()` until the next write, or `waitMs`, then
// reads again: CouchDB's longpoll, as the CouchDB store gets it (couch-store.ts).
// https://pouchdb.com/api.html#changes
import type { ChangeRows, ChangesRead } from './change-rows.js'
import type { EmbeddedDatabase, Pouch } from './embedded-database.js'
import { invalidPosition } from './zergling-changes.js'

/** PouchDB's sequences are integers; anything else would read as "nothing after it", forever. */
const POUCH_SEQ = /^(now|0|[1-9][0-9]{0,15})$/

type Read = EmbeddedDatabase['read']

export async function readPouchChanges (read: Read, { since, limit, waitMs, signal }: ChangesRead): Promise<ChangeRows> {
  if (!POUCH_SEQ.test(since)) throw invalidPosition()
  const givenUp = (): boolean => signal?.aborted === true
  const page = await readRows(read, since, limit)
  if (page.rows.length > 0 || waitMs === 0 || givenUp()) return page
  // The listener is made inside `read` but waited on outside it: a read in flight holds the
  // database open (embedded-database.ts), and this one may wait for seconds.
  const listening = await read(async (db) => ({ changed: nextChange(db, page.lastSeq, waitMs, signal) }))
  await listening.changed
  return givenUp() ? page : await readRows(read, page.lastSeq, limit)
}

async function readRows (read: Read, since: string, limit: number): Promise<ChangeRows> {
  const { results, last_seq: lastSeq } = await read(async (db) => await db.changes({ since: since === 'now' ? 'now' : Number(since), limit, include_docs: true }))
  return {
    rows: results.map((row) => ({ seq: String(row.seq), id: row.id, rev: row.changes[0]?.rev ?? '', deleted: row.deleted === true, doc: row.doc })),
    lastSeq: String(lastSeq)
  }
}

/** Resolves at the first change after `since`, after `waitMs`, or when `signal` gives up. */
async function nextChange (db: Pouch, since: string, waitMs: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const live = db.changes({ since: Number(since), live: true, return_docs: false })
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      live.cancel()
      resolve()
    }
    const timer = setTimeout(done, waitMs)
    signal?.addEventListener('abort', done, { once: true })
    live.on('change', done)
    live.on('complete', done)
    live.on('error', done)
  })
}
