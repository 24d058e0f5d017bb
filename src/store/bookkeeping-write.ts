// A write on a zergling's own line that changes nothing a user sees — merge tombstones
// remembered, a merged tail moved into chunks — after a merge. Like every write it leaves a mark
// (lost-answer.ts: one per revision on the line, at the history's length). A 409, or an answer
// lost, is `conflict`: the caller re-reads, and the next read does what is still to do.
import type { DocumentBackend } from './document-backend.js'
import { lifeStart } from './lost-answer.js'
import { isStoreError, StoreError } from './store-error.js'
import { withMark, writeToken } from './write-marks.js'
import { historyLength, toDocument, type ZerglingRecord } from './zergling-document.js'

export async function writeBookkeeping (backend: DocumentBackend, record: ZerglingRecord, change: Partial<Omit<ZerglingRecord, 'rev' | 'state'>>): Promise<ZerglingRecord> {
  const { rev, ...rest } = record
  const born = lifeStart(record)
  const next = { ...rest, ...change, ...(born === undefined ? {} : { born }) }
  next.recentWrites = withMark(next.recentWrites, writeToken(), historyLength(next))
  try {
    return { ...next, rev: await backend.putDocument(toDocument(next, rev)) }
  } catch (error) {
    if (isStoreError(error) && error.ambiguous) throw new StoreError('conflict', 'A write after a merge may not have been stored; read again.')
    throw error
  }
}
