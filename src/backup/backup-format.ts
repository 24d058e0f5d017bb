// The backup file is @cloudant/couchbackup's ("full" mode), so that it is usable without
// overmind: `couchrestore` puts it into an empty CouchDB database, and `overmind restore` into
// either store. One JSON line of metadata, then lines that are each a JSON array of documents as
// `_bulk_get?revs=true` returns them (the winning revision, with its `_revisions`), written in
// the source's changes order; deleted documents are not in it. A resumed backup has a resume
// marker line, and the line before it may be cut. (node_modules/@cloudant/couchbackup:
// app.js writes the metadata, includes/restoreMappings.js reads the lines.)
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { packageVersion } from '../version.js'
import { TransferError } from '../transfer/transfer-error.js'

export type BackupDocument = Record<string, unknown> & { _id: string, _rev: string }

const RESUME_MARKER = JSON.stringify({ marker: '@cloudant/couchbackup:resume' })

/** couchrestore reads any `name`, `version` and `mode`; `attachments: false` as it writes it. */
export function metadataLine (): string {
  return JSON.stringify({ name: 'overmind', version: packageVersion, mode: 'full', attachments: false, format: '@cloudant/couchbackup' }) + '\n'
}

export function documentsLine (docs: readonly BackupDocument[]): string {
  return JSON.stringify(docs) + '\n'
}

/** Each batch of documents in the file, as couchbackup's restore reads them. */
export async function * readBackup (input: Readable, file: string): AsyncGenerator<BackupDocument[]> {
  let lineNumber = 0
  let sawMetadata = false
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNumber++
    if (line === '' || line === RESUME_MARKER) continue
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      // A backup that was resumed may have one cut line before its marker: couchbackup skips it.
      if (line.endsWith(RESUME_MARKER)) continue
      throw new TransferError(`Line ${lineNumber} of ${file} is not JSON: the file is cut or is not a backup.`)
    }
    if (Array.isArray(parsed)) {
      if (!sawMetadata && lineNumber > 1) throw notBackup(file)
      yield parsed.filter(isDocument)
      continue
    }
    const { name, version, mode, attachments } = parsed as Record<string, unknown>
    if (lineNumber === 1 && typeof name === 'string' && typeof version === 'string' && typeof mode === 'string') {
      if (attachments === true) throw new TransferError(`${file} was made with attachments, which zerglings never have: it is not a backup of overmind.`)
      sawMetadata = true
      continue
    }
    throw notBackup(file)
  }
  if (lineNumber === 0) throw new TransferError(`${file} is empty: not a backup.`)
}

function isDocument (doc: unknown): doc is BackupDocument {
  return typeof doc === 'object' && doc !== null && typeof (doc as { _id?: unknown })._id === 'string' && typeof (doc as { _rev?: unknown })._rev === 'string'
}

function notBackup (file: string): TransferError {
  return new TransferError(`${file} is not a backup in @cloudant/couchbackup's format (a line of metadata, then lines of JSON arrays of documents).`)
}
