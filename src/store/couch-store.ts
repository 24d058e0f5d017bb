// The CouchDB store, through nano's request function so that every call gets its own timeout
// (an AbortSignal; nano 11 runs on Node's fetch, whose pool keeps connections alive).
// Auth is a cookie session by default: one POST /_session, then the AuthSession cookie on every
// request, so CouchDB does not run its password hash (pbkdf2, 600 000 rounds on 3.4) per request
// as it would for Basic auth. An expired session (idle past CouchDB's timeout, or a restart with
// a new secret) answers 401 and is renewed once. `basic` sends the password on every request.
// Every error becomes a StoreError with a message written here:
// nano's own errors may carry the request URL and headers, so none of their text is passed on.
import nano from 'nano'
import type { CouchConnection } from '../config.js'
import type { AllDocsRow, DocumentBackend } from './document-backend.js'
import { createDocumentStore, type DocumentStoreOptions } from './document-store.js'
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
  // nano copies this object by reference and reads it on every request: the session lives here.
  const headers: Record<string, string> = {}
  const basic = `Basic ${Buffer.from(`${couch.username ?? ''}:${couch.password ?? ''}`).toString('base64')}`
  let useCookie = couch.username !== undefined && couch.auth !== 'basic'
  if (couch.username !== undefined && !useCookie) headers.Authorization = basic
  const server = nano({ url: couch.url, headers })
  const database = couch.database
  let session: Promise<void> | undefined

  // https://docs.couchdb.org/en/stable/api/server/authn.html#post--_session
  async function login (): Promise<void> {
    let response: Response
    try {
      response = await fetch(`${couch.url}/_session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ name: couch.username, password: couch.password ?? '' }),
        signal: AbortSignal.timeout(couch.requestTimeoutMs)
      })
      await response.arrayBuffer()
    } catch (error) {
      // A failed login changed nothing, whatever happened to the connection.
      const { kind, message } = translateCouchError(error, database, (error as Error).name === 'TimeoutError' ? couch.requestTimeoutMs : undefined)
      throw new StoreError(kind, message)
    }
    if (!response.ok) throw translateCouchError({ statusCode: response.status }, database)
    const cookie = /(?:^|[;,]\s*)AuthSession=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1]
    if (cookie === undefined) {
      // A CouchDB that sends no session cookie (a proxy in the way, an auth handler turned off):
      // Basic auth still works, at its price.
      useCookie = false
      headers.Authorization = basic
      return
    }
    headers.cookie = `AuthSession=${cookie}`
  }

  /** Logs in once for all concurrent callers; `stale` is the session a caller saw rejected. */
  async function ensureSession (stale?: Promise<void>): Promise<void> {
    if (session === undefined || session === stale) {
      const attempt = login()
      session = attempt
      attempt.catch(() => { if (session === attempt) session = undefined })
    }
    await session
  }

  async function call<T> (request: CouchRequest, accept: (body: unknown) => body is T, timeoutMs = couch.requestTimeoutMs): Promise<T> {
    if (!useCookie) return await send(request, accept, timeoutMs)
    await ensureSession()
    const used = session
    try {
      return await send(request, accept, timeoutMs)
    } catch (error) {
      if (!(error instanceof StoreError && error.kind === 'unauthorized') || !useCookie) throw error
      await ensureSession(used)
      return await send(request, accept, timeoutMs)
    }
  }

  async function send<T> (request: CouchRequest, accept: (body: unknown) => body is T, timeoutMs: number): Promise<T> {
    // Not AbortSignal.timeout(): its timer keeps the signal, and through fetch's listener the
    // whole request, alive until it fires — at thousands of calls a second that held 140 MB.
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    let body: unknown
    try {
      // `db` is percent-encoded by nano; `path` is ours, so an id can never become a path.
      body = await server.request({ db: database, ...request, signal: controller.signal } as nano.RequestOptions)
    } catch (error) {
      throw translateCouchError(error, database, controller.signal.aborted ? timeoutMs : undefined)
    } finally {
      clearTimeout(timer)
    }
    // nano resolves with '' when a 2xx body cannot be parsed (cut off by the deadline or a proxy).
    if (!accept(body)) {
      throw new StoreError('unavailable', `CouchDB sent an incomplete or unexpected answer (calls time out after ${couch.requestTimeoutMs} ms).`, { ambiguous: true })
    }
    return body
  }

  const backend: DocumentBackend = {
    kind: 'couchdb',
    // https://docs.couchdb.org/en/stable/api/document/common.html#get--db-docid
    // A patient read (after a write whose answer was lost) waits PATIENCE times longer.
    getDocument: async (id, { revs = false, conflicts = false, rev, patient = false } = {}) =>
      await call({ path: encodeURIComponent(id), qs: documentQuery(revs, conflicts, rev) }, isObject, patient ? couch.requestTimeoutMs * PATIENCE : couch.requestTimeoutMs),
    // https://docs.couchdb.org/en/stable/api/document/common.html#put--db-docid
    putDocument: async (doc) =>
      (await call({ method: 'PUT', path: encodeURIComponent(doc._id), body: doc }, hasRev)).rev,
    // https://docs.couchdb.org/en/stable/api/document/common.html#delete--db-docid
    deleteDocument: async (id, rev) => {
      await call({ method: 'DELETE', path: encodeURIComponent(id), qs: { rev } }, hasRev)
    },
    // https://docs.couchdb.org/en/stable/api/database/bulk-api.html#get--db-_all_docs
    // Keys are JSON in the query string (startkey="…"); nano JSON-encodes them from `qs`.
    allDocs: async ({ startkey, endkey, limit, conflicts = false }) => {
      const qs: Record<string, unknown> = { include_docs: true, limit }
      if (conflicts) qs.conflicts = true
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
    return new StoreError('unavailable', `CouchDB did not answer within ${timedOutAfterMs} ms.`, { ambiguous: true })
  }
  if (statusCode === undefined) {
    // nano reports socket errors as text ("error happened in your connection. Reason: …"): a
    // connection that was never made sent nothing; any other broken connection may have.
    const neverConnected = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(String((error as Error | undefined)?.message))
    return new StoreError('unavailable', 'CouchDB cannot be reached (the connection failed or was closed).', { ambiguous: !neverConnected })
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

/** `?revs=true&conflicts=true&deleted_conflicts=true&rev=…`, only what is asked for. */
function documentQuery (revs: boolean, conflicts: boolean, rev: string | undefined): Record<string, unknown> | undefined {
  const qs = { ...(revs ? { revs: true } : {}), ...(conflicts ? { conflicts: true, deleted_conflicts: true } : {}), ...(rev === undefined ? {} : { rev }) }
  return Object.keys(qs).length === 0 ? undefined : qs
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
