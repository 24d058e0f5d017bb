// One CouchDB request on undici's `request` API, the HTTP client Node's own fetch is built on,
// without fetch's WHATWG layers (Request, Headers, web streams, a body mixin per answer): measured
// against the double (2026-12, keep-alive, c=10, client CPU per document GET) 85 µs against
// 324 µs for a bare fetch and 412 µs for nano 11, which ran on fetch and was this store's client
// before. A command is one CouchDB call, so that is most of what the service spends per command
// beside CouchDB itself.
//
// What nano did for the store is CouchDB protocol and is kept here: the database name
// percent-encoded, view keys JSON in the query string (`startkey="…"`), JSON both ways, an
// AuthSession cookie kept from the answers that set one (CouchDB sends a fresh one once 10 % of a
// session's life has passed: couch_httpd_auth.erl `cookie_auth_header`), and a refusal as
// `{statusCode, error, reason}` from CouchDB's error body.
// https://docs.couchdb.org/en/stable/api/basics.html, .../api/server/authn.html#cookie-authentication
import { parseCookie, Pool } from 'undici'

export interface CouchHttpRequest {
  method?: 'GET' | 'PUT' | 'DELETE' | 'POST'
  /** Percent-encoded here. */
  db: string
  /** Already percent-encoded, relative to `db`. */
  path?: string
  qs?: Record<string, unknown>
  body?: unknown
  /** An ETag: CouchDB answers 304 with no body when the resource still has it. */
  ifNoneMatch?: string
  signal?: AbortSignal
}

/** A 2xx or a 304 answer: its status and its body, or '' when the body was not JSON or was cut off. */
export interface CouchHttpAnswer {
  status: number
  body: unknown
}

/** CouchDB answered with an error status; `error` and `reason` come from its body when it had them. */
export class CouchHttpError extends Error {
  readonly statusCode: number
  readonly error?: string
  readonly reason?: string
  constructor (statusCode: number, body: unknown) {
    const { error, reason } = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown, reason?: unknown }
    super(typeof reason === 'string' ? reason : `CouchDB answered ${statusCode}`)
    this.statusCode = statusCode
    if (typeof error === 'string') this.error = error
    if (typeof reason === 'string') this.reason = reason
  }
}

export interface CouchHttp {
  /**
   * Resolves with a 2xx answer, or a 304 to an `ifNoneMatch` (its body undefined); rejects with a
   * CouchHttpError for any other status, or with undici's own error (its code names the cause,
   * e.g. ECONNREFUSED) when no answer came.
   */
  send (request: CouchHttpRequest): Promise<CouchHttpAnswer>
  close (): Promise<void>
}

/** Query parameters CouchDB reads as JSON (nano's list, from CouchDB's view API). */
const JSON_PARAMETERS = new Set(['startkey', 'endkey', 'key', 'keys', 'start_key', 'end_key'])
const SESSION_COOKIE = 'AuthSession'

/** `headers` is read on every request (Basic auth lives there: couch-auth.ts). */
export function createCouchHttp (url: string, headers: Record<string, string>, now: () => number = Date.now): CouchHttp {
  const { origin, pathname } = new URL(url)
  // CouchDB may sit under a path (a proxy's `/couchdb`).
  const base = pathname.endsWith('/') ? pathname : `${pathname}/`
  // Keep-alive connections to the one origin, as many as there are calls in flight; undici's
  // idle timeout (4 s) closes them before CouchDB's own would.
  const pool = new Pool(origin)
  let session: { value: string, expiresAt: number } | undefined

  function keepCookie (setCookie: string | string[] | undefined): void {
    if (setCookie === undefined) return
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const cookie = parseCookie(line)
      if (cookie?.name !== SESSION_COOKIE) continue
      const expiresAt = cookie.maxAge !== undefined ? now() + cookie.maxAge * 1000 : cookie.expires !== undefined ? Number(cookie.expires) : Infinity
      session = cookie.value === '' || expiresAt <= now() ? undefined : { value: cookie.value, expiresAt }
    }
  }

  function target ({ db, path, qs }: CouchHttpRequest): string {
    let target = base + encodeURIComponent(db)
    if (path !== undefined && path !== '') target += `/${path}`
    if (qs === undefined) return target
    const query = new URLSearchParams()
    for (const [name, value] of Object.entries(qs)) {
      if (value === undefined) continue
      query.set(name, JSON_PARAMETERS.has(name) ? JSON.stringify(value) : String(value))
    }
    const text = query.toString()
    return text === '' ? target : `${target}?${text}`
  }

  return {
    async send (call) {
      const sent: Record<string, string> = { accept: 'application/json', ...headers }
      if (session !== undefined && session.expiresAt > now()) sent.cookie = `${SESSION_COOKIE}=${session.value}`
      if (call.ifNoneMatch !== undefined) sent['if-none-match'] = call.ifNoneMatch
      let body: string | undefined
      if (call.body !== undefined) {
        body = JSON.stringify(call.body)
        sent['content-type'] = 'application/json'
      }
      const answer = await pool.request({ path: target(call), method: call.method ?? 'GET', headers: sent, body, signal: call.signal })
      keepCookie(answer.headers['set-cookie'])
      if (answer.statusCode === 304 && call.ifNoneMatch !== undefined) {
        await answer.body.dump()
        return { status: 304, body: undefined }
      }
      const parsed = await answer.body.json().catch(() => '')
      if (answer.statusCode >= 200 && answer.statusCode < 300) return { status: answer.statusCode, body: parsed }
      throw new CouchHttpError(answer.statusCode, parsed)
    },
    close: async () => { await pool.close() }
  }
}
