// 001: zerglings in the original shape — `location`, `facing` and the whole `commandHistory`
// inline, as the Go service and the first overmind stored them — to the current one: the state,
// a short tail (`recentCommands`) and every full 1000 commands in an immutable chunk document
// (src/store/zergling-document.ts, history-chunks.ts). Until this has run the store reads the old
// shape on the fly (fromDocument), and its first command to such a zergling converts it the
// same way, so old and new replicas keep serving throughout a rolling upgrade.
//
// Each zergling is written with the `_rev` it was read at, and CouchDB's revision check is the
// arbiter against a command arriving meanwhile: whichever write comes second gets 409 and reads
// again. The service then applies its command to the converted document; this migration finds
// it converted (by the service, or by another run) and skips it. The chunks are cut from the
// revision read, with the store's own archiveFullChunks: a service write on that same revision
// cuts the very same chunk ids with the same commands, so neither side can leave a stray or a
// disagreeing chunk. Nothing is lost (a 409 changes nothing) or applied twice (only a write
// on the current revision lands), and a kill at any point leaves a document either in the old
// shape, with perhaps some chunks no history reads yet (rewritten identically by the rerun),
// or in the new one.
import { archiveFullChunks } from '../../store/history-archive.js'
import { fromDocument, HISTORY_CHUNK_SIZE, isZerglingDocument, toDocument } from '../../store/zergling-document.js'
import { BootstrapError } from '../bootstrap-error.js'
import type { MigrationDatabase, PageRow } from './database.js'
import type { Migration } from './migration.js'

const PAGE_SIZE = 100
/** Chunk writes and re-reads at once within a page: CouchDB serves a few in parallel well. */
const WIDTH = 8
/** A zergling under a steady stream of commands may win the race a few times in a row. */
const ATTEMPTS = 20
/** UUIDs start with 0-9 or a-f: pages stop before the `history:` chunks (as list-page.ts). */
const LAST_ZERGLING_KEY = 'g'

type Stored = NonNullable<PageRow['doc']>

export function inOriginalShape (doc: unknown): doc is Stored {
  return isZerglingDocument(doc) && Array.isArray(doc.commandHistory)
}

/** Writes its full chunks, cut from the revision read, and returns the main document in the new shape, on that revision. */
async function converted (db: MigrationDatabase, doc: Stored): Promise<{ _id: string, _rev?: string }> {
  const record = fromDocument(doc)
  const archived = await archiveFullChunks(db, record)
  return toDocument({ ...record, archivedChunks: record.archivedChunks + archived, recentCommands: record.recentCommands.slice(archived * HISTORY_CHUNK_SIZE) }, record.rev)
}

/** Converts one zergling the page's write lost the race for: read, decide, write, until it lands or needs nothing. */
async function convertAgain (db: MigrationDatabase, id: string): Promise<boolean> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const doc = await db.read(id)
    if (!inOriginalShape(doc)) return false
    if (await db.write(await converted(db, doc)) !== 'conflict') return true
  }
  throw new BootstrapError(`Zergling ${id} kept changing while it was migrated (${ATTEMPTS} attempts); run the migration again.`)
}

async function eachAtOnce<T, R> (items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  let next = 0
  await Promise.all(Array.from({ length: WIDTH }, async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i]!)
    }
  }))
  return results
}

export const migration: Migration = {
  id: '001-zerglings-to-chunks',
  description: 'zerglings with their whole commandHistory inline become state, tail and history chunks',
  module: import.meta.url,
  async page (db, after, dryRun) {
    const rows = await db.page(after, PAGE_SIZE, LAST_ZERGLING_KEY)
    const old = rows.filter((row) => inOriginalShape(row.doc))
    let changed = old.length
    if (!dryRun) {
      // The page in one _bulk_docs, each on its revision; those a command got to first are read again.
      const refused = await db.writeAll(await eachAtOnce(old, async (row) => await converted(db, row.doc!)))
      const again = await eachAtOnce([...refused], async (id) => await convertAgain(db, id))
      changed = old.length - refused.size + again.filter(Boolean).length
    }
    return { changed, ...(rows.length < PAGE_SIZE ? {} : { next: rows[rows.length - 1]!.id }) }
  }
}
