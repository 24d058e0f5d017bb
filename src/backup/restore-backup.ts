// Restoring a backup file (backup-format.ts) into the store the configuration names, embedded or
// CouchDB, as couchbackup's restore does it: each line's documents in one `_bulk_docs` with
// `new_edits: false`, so every document keeps its revision and its `_revisions`, and restoring a
// document twice (a rerun after a stopped restore) changes nothing. Not through couchrestore
// itself: it refuses any database that is not brand-new and empty (app.js, validateRestoreDb),
// and a bootstrapped database already holds its design document. Design documents in the file
// are skipped for the same reason: `overmind bootstrap` owns them.
// https://docs.couchdb.org/en/stable/api/database/bulk-api.html#db-bulk-docs
import type { Readable } from 'node:stream'
import { isZerglingId } from '../domain/zergling-id.js'
import type { Pouch } from '../transfer/endpoints.js'
import { TransferError } from '../transfer/transfer-error.js'
import { readBackup } from './backup-format.js'

export interface RestoreCount { documents: number, zerglings: number, designDocumentsSkipped: number }

export async function restoreBackup (input: Readable, file: string, target: Pouch, onBatch: (count: RestoreCount) => void): Promise<RestoreCount> {
  const count: RestoreCount = { documents: 0, zerglings: 0, designDocumentsSkipped: 0 }
  for await (const batch of readBackup(input, file)) {
    const docs = batch.filter((doc) => !doc._id.startsWith('_design/'))
    count.designDocumentsSkipped += batch.length - docs.length
    if (docs.length === 0) continue
    const answers = await target.bulkDocs(docs, { new_edits: false })
    const failed = answers.filter((answer) => 'error' in answer)
    if (failed.length > 0) {
      const first = failed[0] as { id?: string, error?: string, reason?: string }
      throw new TransferError(`${failed.length} documents of ${file} could not be restored (the first: ${first.id ?? '?'}, ${first.error ?? ''} ${first.reason ?? ''}); what was restored before them stays, and a rerun with --merge writes the same revisions again.`)
    }
    count.documents += docs.length
    count.zerglings += docs.filter((doc) => isZerglingId(doc._id)).length
    onBatch(count)
  }
  return count
}

/** How many zerglings the database holds (up to `atMost`): a restore refuses a target with any. */
export async function zerglingsIn (db: Pouch, atMost = 1000): Promise<number> {
  const { rows } = await db.allDocs({ startkey: '0', endkey: 'g', limit: atMost })
  return rows.filter((row) => isZerglingId(row.id)).length
}
