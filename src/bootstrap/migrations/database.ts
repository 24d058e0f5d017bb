// The application database as migrations see it: a few document calls over bootstrap's
// CouchClient, with the server admin's credentials. `getDocument` and `putDocument` keep the
// store's DocumentBackend meaning (StoreError `conflict` on a 409, `not_found` on a 404), so a
// migration can hand this to the store's own helpers (history-archive.ts) instead of copying them.
// https://docs.couchdb.org/en/stable/api/document/common.html
// https://docs.couchdb.org/en/stable/api/database/bulk-api.html#get--db-_all_docs
import type { DocumentBackend } from '../../store/document-backend.js'
import { StoreError } from '../../store/store-error.js'
import { BootstrapError } from '../bootstrap-error.js'
import { describeResponse, type CouchResponse } from '../couch-client.js'
import { adminCredentials } from '../session.js'
import type { StepContext } from '../types.js'

export interface PageRow { id: string, doc?: Record<string, unknown> & { _id: string, _rev: string } }

export interface MigrationDatabase extends Pick<DocumentBackend, 'getDocument' | 'putDocument'> {
  /** The database's name, for messages. */
  readonly name: string
  /** Up to `limit` rows of `_all_docs?include_docs=true` after `after` (exclusive), below `endkey`. */
  page: (after: string | undefined, limit: number, endkey?: string) => Promise<PageRow[]>
  /** The document or undefined (missing or deleted); with `conflicts`, its losing leaves in `_conflicts`. */
  read: (id: string, options?: { conflicts?: boolean }) => Promise<(Record<string, unknown> & { _id: string, _rev: string, _conflicts?: string[] }) | undefined>
  /** PUT; the new rev and whether a quorum of copies took it (201), or `conflict` on a 409. */
  write: <T extends { _id: string, _rev?: string }> (doc: T) => Promise<{ rev: string, quorum: boolean } | 'conflict'>
  remove: (id: string, rev: string) => Promise<'removed' | 'conflict'>
  /**
   * `_bulk_docs` (each with its `_rev`; never all-or-nothing): the ids CouchDB refused with 409.
   * One request and one commit for a page, where PUTs take one each; every document is still
   * checked against its own revision.
   */
  writeAll: (docs: ReadonlyArray<{ _id: string, _rev?: string }>) => Promise<Set<string>>
  /** Whether the database exists (a dry run may come before the `database` step). */
  exists: () => Promise<boolean>
}

export function migrationDatabase (context: StepContext): MigrationDatabase {
  const name = context.settings.database
  const base = `/${encodeURIComponent(name)}`
  const docPath = (id: string): string => id.startsWith('_design/') ? `${base}/_design/${encodeURIComponent(id.slice(8))}` : `${base}/${encodeURIComponent(id)}`
  const call = async (method: string, path: string, body?: unknown): Promise<CouchResponse> =>
    await context.couch.request(method, path, { auth: adminCredentials(context), ...(body === undefined ? {} : { body }) })
  const failed = (what: string, response: CouchResponse): BootstrapError => new BootstrapError(`${what} in database "${name}" failed (${describeResponse(response)}).`)

  const write: MigrationDatabase['write'] = async (doc) => {
    const response = await call('PUT', docPath(doc._id), doc)
    if (response.status === 409) return 'conflict'
    if (response.status !== 201 && response.status !== 202) throw failed(`Writing ${doc._id}`, response)
    return { rev: (response.body as { rev: string }).rev, quorum: response.status === 201 }
  }
  const read: MigrationDatabase['read'] = async (id, { conflicts = false } = {}) => {
    const response = await call('GET', docPath(id) + (conflicts ? '?conflicts=true' : ''))
    if (response.status === 404) return undefined
    if (response.status !== 200) throw failed(`Reading ${id}`, response)
    return response.body as Record<string, unknown> & { _id: string, _rev: string }
  }
  return {
    name,
    page: async (after, limit, endkey) => {
      const query = new URLSearchParams({ include_docs: 'true', limit: String(limit + (after === undefined ? 0 : 1)) })
      if (after !== undefined) query.set('startkey', JSON.stringify(after))
      if (endkey !== undefined) query.set('endkey', JSON.stringify(endkey))
      const response = await call('GET', `${base}/_all_docs?${query.toString()}`)
      if (response.status !== 200) throw failed('Listing documents', response)
      const rows = (response.body as { rows: PageRow[] }).rows
      return rows.filter((row) => row.id !== after)
    },
    read,
    write,
    remove: async (id, rev) => {
      const response = await call('DELETE', `${docPath(id)}?rev=${encodeURIComponent(rev)}`)
      if (response.status === 409 || response.status === 404) return 'conflict'
      if (response.status !== 200 && response.status !== 202) throw failed(`Deleting ${id}`, response)
      return 'removed'
    },
    writeAll: async (docs) => {
      if (docs.length === 0) return new Set()
      const response = await call('POST', `${base}/_bulk_docs`, { docs })
      if ((response.status !== 201 && response.status !== 202) || !Array.isArray(response.body)) throw failed('Writing a page of documents', response)
      const refused = new Set<string>()
      for (const row of response.body as Array<{ id: string, ok?: boolean, error?: string, reason?: string }>) {
        if (row.ok === true) continue
        if (row.error === 'conflict') refused.add(row.id)
        else throw new BootstrapError(`Writing ${row.id} in database "${name}" failed (${row.error ?? 'error'}: ${row.reason ?? ''}).`)
      }
      return refused
    },
    exists: async () => {
      const response = await call('GET', base)
      if (response.status !== 200 && response.status !== 404) throw failed('Reading the database', response)
      return response.status === 200
    },
    getDocument: async (id) => {
      const doc = await read(id)
      if (doc === undefined) throw new StoreError('not_found', `No document ${id}.`)
      return doc
    },
    putDocument: async (doc) => {
      const written = await write(doc)
      if (written === 'conflict') throw new StoreError('conflict', `${doc._id} was changed meanwhile.`)
      return written.rev
    }
  }
}
