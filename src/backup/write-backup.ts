// Writing a backup of the store the configuration names, in @cloudant/couchbackup's format
// (backup-format.ts). CouchDB: couchbackup itself does it (its session login, parallel batches,
// its log, which makes a stopped backup resumable with --resume). The embedded store, which
// couchbackup cannot reach (it speaks HTTP only), is written the way couchbackup writes a CouchDB
// database: the changes feed in batches of 500 ids, each batch read with revisions
// (`bulkGet` revs=true), deleted documents left out.
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import couchbackup from '@cloudant/couchbackup'
import type { CouchConnection } from '../config.js'
import type { Pouch } from '../transfer/endpoints.js'
import { scrub, TransferError } from '../transfer/transfer-error.js'
import { documentsLine, metadataLine, type BackupDocument } from './backup-format.js'

/** couchbackup's default batch (bufferSize). */
const BATCH = 500

export async function writeEmbeddedBackup (db: Pouch, out: Writable, onBatch: (documents: number) => void): Promise<number> {
  await write(out, metadataLine())
  let since: number | string = 0
  let total = 0
  for (;;) {
    const page: PouchDB.Core.ChangesResponse<Record<string, unknown>> = await db.changes({ since, limit: BATCH })
    const live = page.results.filter((change) => change.deleted !== true).map((change) => ({ id: change.id }))
    if (live.length > 0) {
      const { results } = await db.bulkGet({ docs: live, revs: true })
      const docs = results.flatMap((result) => result.docs.flatMap((entry) => 'ok' in entry ? [entry.ok as unknown as BackupDocument] : []))
        .filter((doc) => doc._deleted !== true)
      await write(out, documentsLine(docs))
      total += docs.length
      onBatch(total)
    }
    if (page.results.length < BATCH) break
    since = page.last_seq
  }
  out.end()
  await once(out, 'finish')
  return total
}

async function write (out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain')
}

export interface CouchBackupOptions {
  /** couchbackup's log of batches, kept beside the file until the backup is complete. */
  log: string
  resume: boolean
}

/** couchbackup takes the credentials in the URL only; nothing it says reaches the user unscrubbed. */
export async function writeCouchBackup (couch: CouchConnection, out: Writable, { log, resume }: CouchBackupOptions, onBatch: (documents: number) => void): Promise<number> {
  const url = new URL(`${couch.url}/${encodeURIComponent(couch.database)}`)
  if (couch.username !== undefined) url.username = encodeURIComponent(couch.username)
  if (couch.password !== undefined) url.password = encodeURIComponent(couch.password)
  const secrets = [couch.password, url.password]
  return await new Promise<number>((resolve, reject) => {
    const events = couchbackup.backup(url.toString(), out, { log, resume, mode: 'full' }, (error, summary) => {
      if (error === null) { resolve(summary?.total ?? 0); return }
      reject(new TransferError(`couchbackup could not back up ${couch.url}/${couch.database}: ${scrub(error.message, secrets)}`))
    })
    events.on('written', ({ total }: { total: number }) => { onBatch(total) })
  })
}
