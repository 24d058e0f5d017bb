// Opening the embedded store's PouchDB database: only after its directory passed the checks in
// leveldb-directory.ts, never letting leveldb create a database where data already is, and only
// once a test write has worked.
import PouchDB from 'pouchdb'
import { openFailure } from './embedded-open-error.js'
import { guardedLeveldown } from './guarded-leveldown.js'
import { inspectLeveldbDirectory, skippedOnRecovery } from './leveldb-directory.js'

export type Pouch = PouchDB.Database<Record<string, unknown>>

/** The slice of a pino logger the embedded store needs. */
export interface EmbeddedLogger {
  info (object: Record<string, unknown>, message: string): void
  warn (object: Record<string, unknown>, message: string): void
  error (object: Record<string, unknown>, message: string): void
}

const PROBE_ID = '_local/overmind-write-probe'

/**
 * Revision ids each document keeps on its path (PouchDB's `revs_limit`, CouchDB's `_revs_limit`;
 * both default to 1000). PouchDB parses, merges and writes a document's whole revision tree on
 * every write and reads it for every row of the changes feed, and the cost grows faster than the
 * tree: CPU per write of a 3 KB document 10.3 ms at 1000 revisions, 1.3 ms at 200, 0.68 ms at
 * 100, 0.27 ms at 20 (this machine) — a zergling past its 1000th command cost 15× what a young
 * one did. 100 is far more than what reads the path needs: the lost-answer check looks a few
 * revisions back, a merge finds its fork by write marks first (fork-point.ts). What it costs: a
 * second `overmind migrate` into the same CouchDB after a zergling moved more than 100 times
 * since the first one no longer finds that zergling's copied revision here, so it is refused
 * as not from this source (foreign-zerglings.ts) instead of copied on.
 */
export const REVISIONS_KEPT = 100

/**
 * Throws StoreOpenError. `trouble` returns the first failure guarded-leveldown.ts reported while
 * this ran, if any: PouchDB shrugs some off (it reads its update sequence as 0 when that read
 * fails, and would then write over existing sequence numbers), so such an open fails too.
 */
export async function openCheckedPouch (location: string, logger: EmbeddedLogger, trouble: () => unknown): Promise<Pouch> {
  let db: Pouch | undefined
  try {
    const verdict = await inspectLeveldbDirectory(location)
    if (verdict.kind === 'damaged') throw openFailure(location, { damaged: verdict.problem })
    // `db` and `createIfMissing` go through PouchDB to leveldown's open (pouchdb lib/index.js).
    db = new PouchDB(location, { db: guardedLeveldown, createIfMissing: verdict.kind === 'new', revs_limit: REVISIONS_KEPT } as PouchDB.Configuration.DatabaseConfiguration)
    await db.info()
    await probeWrite(db)
    if (trouble() !== undefined) throw trouble()
  } catch (error) {
    await db?.close().catch(() => {})
    throw openFailure(location, { error })
  }
  const skipped = await skippedOnRecovery(location)
  if (skipped.length > 0) {
    logger.warn({ dataDir: location, leveldb: skipped }, 'leveldb skipped unreadable log records while opening the embedded store (writes that were never acknowledged, or damage)')
  }
  return db
}

/** A write that proves the write path works: leveldb's log, its background work, the disk. */
export async function probeWrite (db: Pouch): Promise<void> {
  const previous = await db.get(PROBE_ID).catch((error: { status?: number }) => {
    if (error.status === 404) return undefined
    throw error
  })
  await db.put({ _id: PROBE_ID, ...(previous === undefined ? {} : { _rev: previous._rev }), at: new Date().toISOString() })
}
