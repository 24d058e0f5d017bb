// The CouchDB store, through nano's request function so that every call gets its own timeout
// (an AbortSignal; nano 11 runs on Node's fetch, whose pool keeps connections alive).
// Auth is HTTP Basic on every request: no session to renew or race on, at the price of sending
// the password each time (use https outside the cluster) and CouchDB checking it each time (its
// auth cache makes that cheap). Every error becomes a StoreError with a message written here:
// nano's own errors may carry the request URL and headers, so none of their text is passed on.
import nano from 'nano'
import type { CouchConnection } from '../config.js'
import { createDocumentStore, type AllDocsRow, type DocumentBackend, type DocumentStoreOptions } from './document-store.js'
import { StoreError } from './store-error.js'
import type { BrainStatus, ZerglingStore } from './zergling-store.js'

export interface CouchStoreOptions extends DocumentStoreOptions {
  couch: CouchConnection
}

interface CouchRequest {
  method?: 'GET' | 'PUT' | 'DELETE'
  /** Already percent-encoded, relative to the database. */
  path?: string
  qs?: Record<string, unknown>
  body?: unknown
}

/** How many request timeouts a patient read may take. */
const PATIENCE = 4

export function createCouchStore ({ couch, ...options }: CouchStoreOptions): ZerglingStore {
  const headers: Record<string, string> = {}
  if (couch.username !== undefined) {
    const token = Buffer.from(`${couch.username}:${couch.password ?? ''}`).toString('base64')
    headers.Authorization = `Basic ${token}`
  }
  const server = nano({ url: couch.url, headers })
  const database = couch.database

  async function call<T> (request: CouchRequest, accept: (body: unknown) => body is T, timeoutMs = couch.requestTimeoutMs): Promise<T> {
    const signal = AbortSignal.timeout(timeoutMs)
    let body: unknown
    try {
      // `db` is percent-encoded by nano; `path` is ours, so an id can never become a path.
      body = await server.request({ db: database, ...request, signal } as nano.RequestOptions)
    } catch (error) {
      throw translateCouchError(error, database, signal.aborted ? timeoutMs : undefined)
    }
    // nano resolves with '' when a 2xx body cannot be parsed (cut off by the deadline or a proxy).
    if (!accept(body)) {
      throw new StoreError('unavailable', `CouchDB sent an incomplete or unexpected answer (calls time out after ${couch.requestTimeoutMs} ms).`)
    }
    return body
  }

  const backend: DocumentBackend = {
    kind: 'couchdb',
    // https://docs.couchdb.org/en/stable/api/document/common.html#get--db-docid
    // A patient read (after a write whose answer was lost) waits PATIENCE times longer.
    getDocument: async (id, { revs = false, patient = false } = {}) =>
      await call({ path: encodeURIComponent(id), qs: revs ? { revs: true } : undefined }, isObject, patient ? couch.requestTimeoutMs * PATIENCE : couch.requestTimeoutMs),
    // https://docs.couchdb.org/en/stable/api/document/common.html#put--db-docid
    putDocument: async (doc) =>
      (await call({ method: 'PUT', path: encodeURIComponent(doc._id), body: doc }, hasRev)).rev,
    // https://docs.couchdb.org/en/stable/api/document/common.html#delete--db-docid
    deleteDocument: async (id, rev) => {
      await call({ method: 'DELETE', path: encodeURIComponent(id), qs: { rev } }, hasRev)
    },
    // https://docs.couchdb.org/en/stable/api/database/bulk-api.html#get--db-_all_docs
    // Keys are JSON in the query string (startkey="…"); nano JSON-encodes them from `qs`.
    allDocs: async ({ startkey, endkey, limit }) => {
      const qs: Record<string, unknown> = { include_docs: true, limit }
      if (startkey !== undefined) qs.startkey = startkey
      if (endkey !== undefined) qs.endkey = endkey
      return (await call({ path: '_all_docs', qs }, hasRows)).rows
    },
    // https://docs.couchdb.org/en/stable/api/database/common.html#get--db
    check: async (): Promise<BrainStatus> => {
      try {
        await call({}, isObject)
        return { ok: true }
      } catch (error) {
        const { kind, message } = error as StoreError
        if (kind === 'missing_database' || kind === 'unauthorized') return { ok: false, kind, reason: message }
        return { ok: false, kind: 'unavailable', reason: message }
      }
    },
    // Connections belong to Node's shared fetch pool, which closes idle ones by itself.
    close: async () => {}
  }
  return createDocumentStore(backend, options)
}

/**
 * CouchDB's answers as StoreError kinds (https://docs.couchdb.org/en/stable/api/basics.html#http-status-codes).
 * `timedOutAfterMs` is set when our own deadline cut the call short.
 */
export function translateCouchError (error: unknown, database: string, timedOutAfterMs?: number): StoreError {
  const { statusCode, error: code, reason } = error as { statusCode?: number, error?: string, reason?: string }
  if (timedOutAfterMs !== undefined) {
    return new StoreError('unavailable', `CouchDB did not answer within ${timedOutAfterMs} ms.`)
  }
  if (statusCode === undefined) {
    return new StoreError('unavailable', 'CouchDB cannot be reached (the connection failed or was closed).')
  }
  // 3.x says "Database does not exist.", 1.x says "no_db_file"; a missing doc says missing/deleted.
  if (statusCode === 404 && (reason === 'Database does not exist.' || reason === 'no_db_file')) {
    return new StoreError('missing_database', `The CouchDB database "${database}" does not exist: run \`overmind bootstrap\` to create it.`)
  }
  if (statusCode === 404) return new StoreError('not_found', 'There is no zergling with this id.')
  if (statusCode === 409) return new StoreError('conflict', 'The zergling was changed by another writer.')
  if (statusCode === 401 || statusCode === 403) {
    return new StoreError('unauthorized', `CouchDB refused access to the database "${database}" (${statusCode}): check COUCHDB_USERNAME and COUCHDB_PASSWORD, and that the user is a member of the database.`)
  }
  const what = typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? ` ${code}` : ''
  return new StoreError('unavailable', `CouchDB answered ${statusCode}${what}.`)
}

function isObject (body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null
}

function hasRev (body: unknown): body is { rev: string } {
  return isObject(body) && typeof body.rev === 'string'
}

function hasRows (body: unknown): body is { rows: AllDocsRow[] } {
  return isObject(body) && Array.isArray(body.rows)
}
