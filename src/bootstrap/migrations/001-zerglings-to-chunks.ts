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
/** Zerglings at once within a page: CouchDB serves a few writes in parallel well. */
const WIDTH = 8
/** A zergling under a steady stream of commands may win the race a few times in a row. */
const ATTEMPTS = 20
/** UUIDs start with 0-9 or a-f: pages stop before the `history:` chunks (as list-page.ts). */
const LAST_ZERGLING_KEY = 'g'

type Stored = NonNullable<PageRow['doc']>

export function inOriginalShape (doc: unknown): doc is Stored {
  return isZerglingDocument(doc) && Array.isArray(doc.commandHistory)
}

/** Converts one zergling; false when it needed nothing (already converted, or deleted). */
export async function convertZergling (db: MigrationDatabase, found: Stored): Promise<boolean> {
  let doc: Stored | undefined = found
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (!inOriginalShape(doc)) return false
    const record = fromDocument(doc)
    const archived = await archiveFullChunks(db, record)
    const next = { ...record, archivedChunks: record.archivedChunks + archived, recentCommands: record.recentCommands.slice(archived * HISTORY_CHUNK_SIZE) }
    if (await db.write(toDocument(next, record.rev)) !== 'conflict') return true
    doc = await db.read(found._id)
  }
  throw new BootstrapError(`Zergling ${found._id} kept changing while it was migrated (${ATTEMPTS} attempts); run the migration again.`)
}

export const migration: Migration = {
  id: '001-zerglings-to-chunks',
  description: 'zerglings with their whole commandHistory inline become state, tail and history chunks',
  module: import.meta.url,
  async page (db, after, dryRun) {
    const rows = await db.page(after, PAGE_SIZE, LAST_ZERGLING_KEY)
    const old = rows.filter((row) => inOriginalShape(row.doc))
    let changed = 0
    if (dryRun) {
      changed = old.length
    } else {
      let next = 0
      await Promise.all(Array.from({ length: WIDTH }, async () => {
        while (next < old.length) {
          if (await convertZergling(db, old[next++]!.doc!)) changed++
        }
      }))
    }
    return { changed, ...(rows.length < PAGE_SIZE ? {} : { next: rows[rows.length - 1]!.id }) }
  }
}
