// The copy itself is CouchDB replication, run by PouchDB (`PouchDB.replicate`): every document
// with its whole revision tree — zerglings, their history chunks, deletions — so each keeps its
// revisions, its idempotency records and its place in any conflict. Replication checkpoints after
// every batch (a `_local` document on both ends), so a run that was killed resumes where the last
// checkpoint was, and documents the target already has are never sent again (`_revs_diff`).
// Design documents are left out: `overmind bootstrap` owns them on the target.
// https://docs.couchdb.org/en/stable/replication/protocol.html
import PouchDB from 'pouchdb'
import type { Pouch } from '../transfer/endpoints.js'

export interface ReplicationProgress {
  docsRead: number
  docsWritten: number
  /** How far through the source's changes, 0..1 (an estimate for CouchDB's opaque sequences). */
  fraction: number
}

export interface ReplicationResult {
  docsRead: number
  docsWritten: number
  docWriteFailures: number
  errors: string[]
}

// PouchDB's default: a checkpoint every 100 documents, so a stopped run repeats little.
const BATCH_SIZE = 100

/** `12` or CouchDB's `"12-g1AAAA…"`: the number in front is how many changes came before. */
export function sequenceNumber (seq: unknown): number {
  const number = Number.parseInt(String(seq), 10)
  return Number.isFinite(number) ? number : 0
}

export async function replicateAll (source: Pouch, target: Pouch, onProgress: (progress: ReplicationProgress) => void): Promise<ReplicationResult> {
  const total = sequenceNumber((await source.info()).update_seq)
  const replication = PouchDB.replicate(source, target, {
    batch_size: BATCH_SIZE,
    filter: (doc: { _id: string }) => !doc._id.startsWith('_design/')
  })
  replication.on('change', (info) => {
    const done = sequenceNumber(info.last_seq)
    onProgress({ docsRead: info.docs_read, docsWritten: info.docs_written, fraction: total === 0 ? 1 : Math.min(1, done / total) })
  })
  const result = await replication
  return {
    docsRead: result.docs_read,
    docsWritten: result.docs_written,
    docWriteFailures: result.doc_write_failures,
    errors: result.errors.map((error: unknown) => (error as Error).message ?? String(error))
  }
}
