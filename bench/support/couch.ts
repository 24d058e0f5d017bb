// The few CouchDB calls the bench makes itself: the service never creates databases, so the
// bench creates a uniquely named one per run and deletes it at the end.
// https://docs.couchdb.org/en/stable/api/database/common.html

export interface CouchServer {
  /** Without credentials, without a trailing slash. */
  url: string
  username: string
  password: string
  /** `double` (started by the bench) or `real` (COUCHDB_BENCH_URL). */
  kind: 'double' | 'real'
}

/** `http://user:pass@host:5984` into its parts; credentials never stay in the URL. */
export function parseCouchUrl (raw: string, kind: CouchServer['kind']): CouchServer {
  const url = new URL(raw)
  const server = {
    url: `${url.protocol}//${url.host}`,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    kind
  }
  if (server.username === '') throw new Error('COUCHDB_BENCH_URL needs an admin user: http://admin:PASS@HOST:5984')
  return server
}

export function basicAuth (server: CouchServer): string {
  return `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`
}

/**
 * One POST /_session, as the service logs in by default: the AuthSession cookie (`name=value`)
 * to send on every later request instead of the password.
 * https://docs.couchdb.org/en/stable/api/server/authn.html#post--_session
 */
export async function sessionCookie (server: CouchServer): Promise<string> {
  const response = await fetch(`${server.url}/_session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: server.username, password: server.password })
  })
  await response.arrayBuffer()
  const cookie = response.headers.get('set-cookie')?.split(';')[0]
  if (!response.ok || cookie === undefined) throw new Error(`POST /_session answered ${response.status}`)
  return cookie
}

async function call (server: CouchServer, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${server.url}/${path}`, {
    method,
    headers: { authorization: basicAuth(server), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`CouchDB ${method} /${path.split('?')[0]} answered ${response.status}: ${text.slice(0, 200)}`)
  return JSON.parse(text) as unknown
}

/** One JSON request with the given auth header (a cookie or Basic); throws unless 2xx. */
export async function send (method: string, url: string, auth: Record<string, string>, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: { ...auth, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} answered ${response.status}`)
  return JSON.parse(text) as unknown
}

// https://docs.couchdb.org/en/stable/api/database/common.html#put--db
export async function createDatabase (server: CouchServer, name: string): Promise<void> {
  await call(server, 'PUT', encodeURIComponent(name))
}

// https://docs.couchdb.org/en/stable/api/database/common.html#delete--db
export async function deleteDatabase (server: CouchServer, name: string): Promise<void> {
  await call(server, 'DELETE', encodeURIComponent(name))
}

/**
 * One `_all_docs` row from a start key: the answer's `offset` is what makes the double's id index
 * catch up (test/support/couch-double/id-index.ts; without a start key it is not needed).
 */
export async function readFirstRow (server: CouchServer, database: string): Promise<void> {
  await call(server, 'GET', `${encodeURIComponent(database)}/_all_docs?limit=1&startkey=${encodeURIComponent('"0"')}`)
}

// https://docs.couchdb.org/en/stable/api/database/bulk-api.html#post--db-_bulk_docs
export async function bulkDocs (server: CouchServer, database: string, docs: object[]): Promise<void> {
  const rows = await call(server, 'POST', `${encodeURIComponent(database)}/_bulk_docs`, { docs }) as Array<{ error?: string }>
  const failed = rows.filter((row) => row.error !== undefined)
  if (failed.length > 0) throw new Error(`_bulk_docs refused ${failed.length} documents (first: ${failed[0]!.error})`)
}
