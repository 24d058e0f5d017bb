// The CouchDB store: documents moved over CouchDB's HTTP API. The request machinery (deadlines,
// session, backoff after refused credentials, circuit breaker) is couch-transport.ts; every
// error is already a StoreError with a message written by us (couch-errors.ts).
import type { CouchConnection } from '../config.js'
import { createCouchTransport, type CredentialHooks } from './couch-transport.js'
import { NOT_MODIFIED, type AllDocsRow, type DocumentBackend } from './document-backend.js'
import { createDocumentMemory } from './document-memory.js'
import { createDocumentStore, type DocumentStoreOptions } from './document-store.js'
import type { SecretFileOptions } from '../secret-file.js'
import type { StoreError } from './store-error.js'
import type { BrainStatus, ZerglingStore } from './zergling-store.js'

export interface CouchStoreOptions extends DocumentStoreOptions {
  couch: CouchConnection
  /** Told when the password file changes and when CouchDB takes the new password. */
  credentials?: CredentialHooks
  /** How the password file is watched (tests poll faster). */
  passwordFile?: SecretFileOptions
}

/** How many request timeouts a patient read may take. */
const PATIENCE = 4

export function createCouchStore ({ couch, credentials, passwordFile, ...options }: CouchStoreOptions): ZerglingStore {
  const { call, checkTimeoutMs, close } = createCouchTransport(couch, { credentials, passwordFile })
  const withoutQuorum = createRecentSet(1000)

  const backend: DocumentBackend = {
    kind: 'couchdb',
    // https://docs.couchdb.org/en/stable/api/document/common.html#get--db-docid
    // A patient read (after a write whose answer was lost) waits PATIENCE times longer.
    // With `unlessRev`, If-None-Match on the revision: CouchDB sends the ETag (and honours it) only
    // for a document without meta fields, so a 304 also says that `conflicts=true` and
    // `deleted_conflicts=true` found no other leaf (chttpd_db.erl send_doc, couch_db.erl doc_meta_info).
    getDocument: async (id, { revs = false, conflicts = false, rev, patient = false, unlessRev } = {}) => {
      const ifNoneMatch = unlessRev === undefined || revs || rev !== undefined ? undefined : `"${unlessRev}"`
      return (await call({ path: encodeURIComponent(id), qs: documentQuery(revs, conflicts, rev), ifNoneMatch }, isObjectOrNotModified, patient ? couch.requestTimeoutMs * PATIENCE : couch.requestTimeoutMs)).body
    },
    // https://docs.couchdb.org/en/stable/api/document/common.html#put--db-docid: 201 when a
    // quorum of the document's copies took the write, 202 when fewer did.
    putDocument: async (doc) => {
      const { status, body } = await call({ method: 'PUT', path: encodeURIComponent(doc._id), body: doc }, hasRev)
      if (status === 202) withoutQuorum.add(body.rev)
      return body.rev
    },
    acceptedWithoutQuorum: (rev) => withoutQuorum.has(rev),
    // https://docs.couchdb.org/en/stable/api/document/common.html#delete--db-docid
    deleteDocument: async (id, rev) => {
      await call({ method: 'DELETE', path: encodeURIComponent(id), qs: { rev } }, hasRev)
    },
    // https://docs.couchdb.org/en/stable/api/database/bulk-api.html#get--db-_all_docs
    // Keys are JSON in the query string (startkey="…"); couch-http.ts JSON-encodes them from `qs`.
    allDocs: async ({ startkey, endkey, limit, conflicts = false }) => {
      const qs: Record<string, unknown> = { include_docs: true, limit }
      if (conflicts) qs.conflicts = true
      if (startkey !== undefined) qs.startkey = startkey
      if (endkey !== undefined) qs.endkey = endkey
      return (await call({ path: '_all_docs', qs }, hasRows)).body.rows
    },
    // https://docs.couchdb.org/en/stable/api/database/changes.html: a longpoll when it may wait
    // (CouchDB answers at the first change, or with no rows after `timeout`), within a deadline
    // that long plus a call's.
    changes: async ({ since, limit, waitMs, signal, leavesOnly = false }) => {
      const qs = { since, limit, ...(leavesOnly ? { style: 'all_docs' } : { include_docs: true }), ...(waitMs > 0 ? { feed: 'longpoll', timeout: waitMs } : {}) }
      const page = await call({ path: '_changes', qs, signal }, hasResults, couch.requestTimeoutMs + waitMs).then(({ body }) => body, (error: unknown) => {
        if (signal?.aborted === true) return { results: [], last_seq: since }
        throw error
      })
      return {
        rows: page.results.map((row) => ({ seq: String(row.seq), id: row.id, rev: row.changes[0]?.rev ?? '', deleted: row.deleted === true, doc: row.doc, ...(leavesOnly ? { leaves: row.changes.length } : {}) })),
        lastSeq: String(page.last_seq)
      }
    },
    // https://docs.couchdb.org/en/stable/api/database/common.html#get--db
    // Within a deadline of its own, shorter than a call's: see CHECK_TIMEOUT_MS.
    check: async (): Promise<BrainStatus> => {
      try {
        await call({}, isObject, checkTimeoutMs)
        return { ok: true }
      } catch (error) {
        const { kind, message } = error as StoreError
        if (kind === 'missing_database' || kind === 'unauthorized') return { ok: false, kind, reason: message }
        return { ok: false, kind: 'unavailable', reason: message }
      }
    },
    // Connections belong to Node's shared fetch pool, which closes idle ones by itself.
    close: async () => { close() }
  }
  // Only CouchDB's reads cost a round trip: the embedded store's are from memory already.
  return createDocumentStore(backend, { memory: createDocumentMemory(), ...options })
}

/** A set that keeps only the `capacity` values added last (a Set iterates in insertion order). */
function createRecentSet (capacity: number): { add: (value: string) => void, has: (value: string) => boolean } {
  const values = new Set<string>()
  return {
    add (value) {
      values.add(value)
      if (values.size > capacity) values.delete(values.values().next().value!)
    },
    has: (value) => values.has(value)
  }
}

/** `?revs=true&conflicts=true&deleted_conflicts=true&rev=…`, only what is asked for. */
function documentQuery (revs: boolean, conflicts: boolean, rev: string | undefined): Record<string, unknown> | undefined {
  const qs = { ...(revs ? { revs: true } : {}), ...(conflicts ? { conflicts: true, deleted_conflicts: true } : {}), ...(rev === undefined ? {} : { rev }) }
  return Object.keys(qs).length === 0 ? undefined : qs
}

function isObject (body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null
}

function isObjectOrNotModified (body: unknown): body is Record<string, unknown> | typeof NOT_MODIFIED {
  return body === NOT_MODIFIED || isObject(body)
}

function hasRev (body: unknown): body is { rev: string } {
  return isObject(body) && typeof body.rev === 'string'
}

interface CouchChangeRow { seq: unknown, id: string, changes: Array<{ rev: string }>, deleted?: boolean, doc?: unknown }

function hasResults (body: unknown): body is { results: CouchChangeRow[], last_seq: unknown } {
  return isObject(body) && Array.isArray(body.results) && body.last_seq !== undefined
}

function hasRows (body: unknown): body is { rows: AllDocsRow[] } {
  return isObject(body) && Array.isArray(body.rows)
}
