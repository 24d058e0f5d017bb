// The changes feed as zergling events: each row of a zergling's main document becomes its new
// state; history chunks (`history:…`) and design documents (`_design/…`) are read past. What a
// row shows is CouchDB's winning revision, as a read would before merging a conflict.
import type { Command } from '../domain/zergling.js'
import { isZerglingId } from '../domain/zergling-id.js'
import { isChangesPosition, type ChangeRow, type ChangesRead } from './change-rows.js'
import type { DocumentBackend } from './document-backend.js'
import { StoreError } from './store-error.js'
import { fromDocument, historyLength, isZerglingDocument } from './zergling-document.js'
import type { ZerglingChange, ZerglingChangePage } from './zergling-store.js'

/** How many of its last commands a `moved` event carries: enough to draw a trail. */
export const EVENT_HISTORY_COMMANDS = 20

export async function readZerglingChanges (backend: DocumentBackend, read: ChangesRead): Promise<ZerglingChangePage> {
  if (!isChangesPosition(read.since)) throw invalidPosition()
  if (backend.changes === undefined) throw new StoreError('unavailable', 'This store has no changes feed.')
  const { rows, lastSeq } = await backend.changes(read)
  return { changes: rows.flatMap(toChange), lastSeq, complete: rows.length < read.limit }
}

export function invalidPosition (): StoreError {
  return new StoreError('invalid_cursor', 'The changes feed position is not one this store handed out.')
}

function toChange (row: ChangeRow): ZerglingChange[] {
  if (!isZerglingId(row.id)) return []
  if (row.deleted) return [{ type: 'deleted', seq: row.seq, zergling: { id: row.id, rev: row.rev } }]
  if (!isZerglingDocument(row.doc)) return []
  const record = fromDocument(row.doc)
  const length = historyLength(record)
  // The document's tail holds the newest commands; right after every 1000th it is short.
  const commandHistory = [...record.recentCommands.slice(-EVENT_HISTORY_COMMANDS)] as Command[]
  return [{
    type: length === 0 ? 'spawned' : 'moved',
    seq: row.seq,
    zergling: { ...record.state, rev: record.rev, historyLength: length, commandHistory }
  }]
}
