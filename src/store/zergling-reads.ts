// Reading a zergling: its main document as a record — a conflicted one merged first
// (conflict-merge.ts), one deleted on a branch deleted (deleted-branches.ts), which costs
// nothing more when there is neither: `conflicts=true` is a query flag — and the answer a caller
// gets (its state, revision, history length and the part of the history it asked for).
import { isZerglingId } from '../domain/zergling-id.js'
import { mergeConflicts, type MergeHooks } from './conflict-merge.js'
import { NOT_MODIFIED, type DocumentBackend } from './document-backend.js'
import { judgeDeletes, rememberTombstones, unjudgedDeletes } from './deleted-branches.js'
import { readHistory, tailHistory } from './history-reader.js'
import { conflictsOf } from './revisions.js'
import { notFound } from './store-error.js'
import { fromDocument, isZerglingDocument, type ZerglingRecord } from './zergling-document.js'
import type { HistoryView, StoredZergling } from './zergling-store.js'

/**
 * The zergling's main document, merged when conflicted, or StoreError `not_found`; `clean` is
 * told of a document read with no conflict and no deleted branch. An id that is
 * not a zergling id (`_local/x`, `_design/x`, a chunk's `history:…`) is `not_found` before
 * CouchDB is asked, so the answer never depends on what CouchDB makes of it as a path (3.4
 * answers some with a 5xx). `known`, the record this replica holds of it (document-memory.ts),
 * makes the read conditional: when CouchDB says that is still the document (a 304 without a
 * body: the same winner, no other leaf) it is the answer, as a full read would have made it.
 */
export async function readZergling (backend: DocumentBackend, id: string, hooks?: MergeHooks, clean?: (record: ZerglingRecord) => void, known?: ZerglingRecord): Promise<ZerglingRecord> {
  if (!isZerglingId(id)) throw notFound()
  const doc = await backend.getDocument(id, { conflicts: true, unlessRev: known?.rev })
  if (doc === NOT_MODIFIED && known !== undefined) {
    // Still at the revision this replica holds, with no other leaf: the document it read or wrote.
    clean?.(known)
    return known
  }
  if (!isZerglingDocument(doc)) throw notFound()
  const record = fromDocument(doc)
  // A deleted branch first: a user's delete there means the zergling is gone (deleted-branches.ts).
  const deleted = unjudgedDeletes(doc, record)
  const tombstones = deleted.length === 0 ? [] : await judgeDeletes(backend, doc, deleted)
  // A write here that loses a revision race throws `conflict`: callers read inside a retry.
  if (conflictsOf(doc).length > 0) return await mergeConflicts(backend, doc, hooks, tombstones)
  if (tombstones.length > 0) return await rememberTombstones(backend, record, tombstones)
  // As CouchDB holds it, with no other leaf: what a replica may remember (document-memory.ts).
  clean?.(record)
  return record
}

/** The answer for `state` at history length `length`, with the history asked for. */
export async function viewZergling (
  backend: DocumentBackend, record: Omit<ZerglingRecord, 'rev'>, rev: string, length: number, state: ZerglingRecord['state'], history: HistoryView
): Promise<StoredZergling> {
  // Spelled out, not spread: a GET answers this on every request (bench/NOTES.md, "Lean GET").
  const { id, location, facing } = state
  if (history === 'none') return { id, location, facing, rev, historyLength: length }
  const from = history === 'all' ? 0 : Math.max(0, length - history.last)
  const commandHistory = tailHistory(record, from, length) ?? await readHistory(backend, { ...record, rev }, from, length)
  return { id, location, facing, rev, historyLength: length, commandHistory }
}
