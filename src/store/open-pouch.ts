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
    db = new PouchDB(location, { db: guardedLeveldown, createIfMissing: verdict.kind === 'new' } as PouchDB.Configuration.DatabaseConfiguration)
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
