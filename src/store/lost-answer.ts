// The lost-answer protocol. When CouchDB's answer to a write is lost (the connection cut, or the
// call past its timeout) the write may or may not have been stored. Every write therefore
// carries a random token that the document keeps (`recentWrites`); a patient read afterwards
// says which it was, so a command is neither lost (told "error" though stored) nor applied twice
// (retried though stored). When even the patient read fails, the outcome is unknown and the
// caller is told so (`outcome_unknown`): an Idempotency-Key settles it.
import type { DocumentBackend } from './document-backend.js'
import { ancestry, revisionFrom, revisionGeneration } from './revisions.js'
import { isStoreError, StoreError } from './store-error.js'
import { markedTokens, parseWriteMark } from './write-marks.js'
import { fromDocument, isZerglingDocument, type ZerglingRecord } from './zergling-document.js'

/**
 * Where a write with one of these tokens is: on the document's own line of revisions, on a
 * losing branch that a merge absorbed (it was stored: its commands are in the history), or not
 * (yet) in this document.
 */
export function findWrite (record: Pick<ZerglingRecord, 'recentWrites' | 'absorbed'>, isOurs: (token: string) => boolean): { token: string, absorbed: boolean } | undefined {
  const { line, pieces } = markedTokens(record.recentWrites)
  const own = line.find(isOurs)
  if (own !== undefined) return { token: own, absorbed: false }
  const absorbed = [...record.absorbed, ...pieces].find(isOurs)
  return absorbed === undefined ? undefined : { token: absorbed, absorbed: true }
}

/** The request may have reached CouchDB and taken effect without its answer coming back. */
export function isAmbiguous (error: unknown): boolean {
  return isStoreError(error) && error.ambiguous
}

/** A read that could not decide, after a write that may have been stored. */
export function unknownOutcome (error: unknown): unknown {
  if (!isStoreError(error, 'unavailable')) return error
  return new StoreError('outcome_unknown', 'CouchDB went away before confirming whether the change was stored: it may or may not have been applied. Retry with the same Idempotency-Key to be sure it is applied exactly once.')
}

const notStored = (): StoreError => new StoreError('conflict', 'The write was not stored, or not on the winning revision.')

/**
 * After a write whose answer was lost: a patient read decides. Stored → its revision (or, when
 * its branch was merged into another, the merged one's). Not stored → a `conflict`, so the write
 * loop re-reads and tries again (a late arrival of the lost write then fails on the stale
 * revision, and its token is recognised if it won). A write on a losing leaf of a conflict is
 * not found here either: the loop's next read merges that leaf in and finds it absorbed. CouchDB
 * still unreachable → `outcome_unknown`.
 * The read can come late (a cluster node frozen before it answered, while the other replicas
 * went on writing through the others): when the zergling has moved on past the marks it keeps,
 * the revision of the write's generation on its path says whose write that was — its last mark
 * is its own. CouchDB 3 compacts a busy database within seconds (smoosh), so that body may be
 * gone; then nobody can tell, and `outcome_unknown` says so rather than guessing "not stored".
 */
export async function confirmWrite (backend: DocumentBackend, id: string, token: string, generation: number): Promise<string> {
  let doc: unknown
  try {
    doc = await backend.getDocument(id, { revs: true, patient: true })
  } catch (error) {
    throw unknownOutcome(error)
  }
  if (!isZerglingDocument(doc)) throw notStored()
  const record = fromDocument(doc)
  const found = findWrite(record, (candidate) => candidate === token)
  if (found !== undefined) return found.absorbed ? doc._rev : revisionFrom(doc, generation)
  // One mark per revision on the line: the kept marks stand for its latest revisions.
  if (revisionGeneration(doc._rev) - generation < record.recentWrites.length) throw notStored()
  return await ownRevision(backend, doc, token, generation)
}

/** The revision of `generation` on `doc`'s path when it is the write with `token`, from its body. */
async function ownRevision (backend: DocumentBackend, doc: { _id: string }, token: string, generation: number): Promise<string> {
  // Absent from the path only past the last 1000 revisions CouchDB keeps ids of: as unknown as a compacted body.
  const rev = ancestry(doc).find((candidate) => revisionGeneration(candidate) === generation)
  let body: unknown
  try {
    if (rev !== undefined) body = await backend.getDocument(doc._id, { rev, patient: true })
  } catch (error) {
    if (!isStoreError(error, 'not_found')) throw unknownOutcome(error)
  }
  // Every revision on a zergling's line is a zergling: anything else is a body no longer there.
  if (!isZerglingDocument(body)) throw new StoreError('outcome_unknown', 'CouchDB no longer holds what would tell whether the change was stored: it may or may not have been applied. Retry with the same Idempotency-Key to be sure it is applied exactly once.')
  const last = fromDocument(body).recentWrites.at(-1)
  if (last !== undefined && parseWriteMark(last).token === token) return rev!
  throw notStored()
}

/** After a spawn whose answer was lost: the stored document, or `conflict` to try again. */
export async function confirmSpawn (backend: DocumentBackend, id: string): Promise<ZerglingRecord> {
  try {
    const doc = await backend.getDocument(id, { revs: true, patient: true })
    if (!isZerglingDocument(doc)) throw new StoreError('conflict', 'The spawn was not stored.')
    const record = fromDocument(doc)
    return { ...record, rev: revisionFrom(doc, lifeStart(record) ?? 1) }
  } catch (error) {
    if (isStoreError(error, 'not_found')) throw new StoreError('conflict', 'The spawn was not stored.')
    throw unknownOutcome(error)
  }
}

/** After a delete whose answer was lost: returns when it was stored, else `conflict` to try again. */
export async function confirmGone (backend: DocumentBackend, id: string): Promise<void> {
  try {
    await backend.getDocument(id, { patient: true })
  } catch (error) {
    if (isStoreError(error, 'not_found')) return
    throw unknownOutcome(error)
  }
  throw new StoreError('conflict', 'The delete was not stored.')
}

/**
 * The generation this life of the id began at: `born` once a write recorded it, else from the
 * marks — each write on the document's line leaves one, and the spawn's is the first at length
 * 0 (a respawned id's life starts on the old one's tombstone, past generation 1). Undefined when
 * neither is there (a document from before marks had lengths). A revision no mark stands for
 * (an edit past the store) can only make it come out later, never earlier.
 */
export function lifeStart (record: Pick<ZerglingRecord, 'recentWrites' | 'rev' | 'born'>): number | undefined {
  if (record.born !== undefined) return record.born
  const marks = record.recentWrites
  const spawn = marks.findIndex((mark) => parseWriteMark(mark).length === 0)
  return spawn === -1 ? undefined : revisionGeneration(record.rev) - (marks.length - 1 - spawn)
}

/** The full revision of generation `generation` of a document whose latest revision is `latest`. */
export async function revisionOf (backend: DocumentBackend, id: string, generation: number, latest: string): Promise<string> {
  if (revisionGeneration(latest) === generation) return latest
  return revisionFrom(await backend.getDocument(id, { revs: true }), generation) ?? latest
}
