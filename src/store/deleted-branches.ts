// A zergling deleted on one side of a partition and moved on the other. `_conflicts` lists live
// leaves only, and CouchDB never shows a deleted winner while a live leaf exists, so after the
// heal the moves show and the delete hides in `_deleted_conflicts`. What a user expects: the
// acknowledged delete wins, and the zergling stays deleted (its moves were made on a zergling
// its owner had already let go). Two kinds of deleted leaf are no user's delete and are left
// alone: the tombstones a merge puts on the branches it absorbed (`mergedInto`, and listed in
// `mergeTombstones` so they cost no read after the first), and those of an earlier life of the
// id (a keyed spawn after a delete starts on the old tombstone: their generation is below
// `born`). Documents from before `born` existed are never judged: deleting them on a guess is
// worse than keeping them.
import type { DocumentBackend } from './document-backend.js'
import { writeBookkeeping } from './bookkeeping-write.js'
import { lifeStart } from './lost-answer.js'
import { conflictsOf, deletedConflictsOf, revisionGeneration } from './revisions.js'
import { isStoreError, notFound } from './store-error.js'
import type { ZerglingRecord } from './zergling-document.js'

/** How many merge tombstones a document remembers; one forgotten is only read again. */
const TOMBSTONES_KEPT = 64

/** The deleted leaves of `doc` that no read has judged yet, after `record`'s life began. */
export function unjudgedDeletes (doc: unknown, record: Pick<ZerglingRecord, 'recentWrites' | 'rev' | 'born' | 'mergeTombstones'>): string[] {
  const born = lifeStart(record)
  if (born === undefined) return []
  return deletedConflictsOf(doc).filter((rev) => revisionGeneration(rev) > born && !record.mergeTombstones.includes(rev))
}

/**
 * Judges `deleted` (from unjudgedDeletes) and returns the merge tombstones among them. A user's
 * delete among them deletes every live leaf of the zergling, losers first, and answers
 * `not_found`; a 409 on the winner (it moved meanwhile) is `conflict`: re-read and judge again.
 * A tombstone that cannot be read yet (on a cluster, a read can reach copies that have not seen
 * it: 404) stays unjudged, for a later read.
 */
export async function judgeDeletes (backend: DocumentBackend, doc: { _id: string, _rev: string }, deleted: readonly string[]): Promise<string[]> {
  const read = await Promise.all(deleted.map(async (rev) => await backend.getDocument(doc._id, { rev })
    .then((tombstone) => ({ rev, tombstone: tombstone as Record<string, unknown> }))
    .catch((error: unknown) => { if (isStoreError(error, 'not_found')) return undefined; throw error })))
  const tombstones = read.filter((entry) => entry !== undefined)
  if (tombstones.every(({ tombstone }) => typeof tombstone.mergedInto === 'string')) return tombstones.map(({ rev }) => rev)
  for (const loser of conflictsOf(doc)) {
    await backend.deleteDocument(doc._id, loser).catch((error: unknown) => { if (!isStoreError(error, 'conflict') && !isStoreError(error, 'not_found')) throw error })
  }
  await backend.deleteDocument(doc._id, doc._rev)
  throw notFound()
}

/** Writes `tombstones` into the zergling's `mergeTombstones`; unwritten, the next read judges them again. */
export async function rememberTombstones (backend: DocumentBackend, record: ZerglingRecord, tombstones: readonly string[]): Promise<ZerglingRecord> {
  return await writeBookkeeping(backend, record, { mergeTombstones: [...record.mergeTombstones, ...tombstones].slice(-TOMBSTONES_KEPT) })
}
