// The two ends of a migration as PouchDB databases: the embedded store's leveldb directory (opened
// only if it exists and looks whole, never created) or a CouchDB database, which must exist
// already (`overmind bootstrap` makes it, with its design documents and members).
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import PouchDB from 'pouchdb'
import type { CouchConnection } from '../config.js'
import { watchLeveldb } from '../store/guarded-leveldown.js'
import { inspectLeveldbDirectory } from '../store/leveldb-directory.js'
import { openCheckedPouch } from '../store/open-pouch.js'
import { TransferError, scrub } from './transfer-error.js'

export type Pouch = PouchDB.Database<Record<string, unknown>>

export interface Endpoint {
  db: Pouch
  /** What the operator is told: a directory, or `URL/database` without credentials. */
  name: string
  close (): Promise<void>
}

const SILENT = { info () {}, warn () {}, error () {} }

/** Closes an endpoint; false (and the reason on stderr) when closing found a failure. */
export async function closeEndpoint (endpoint: Endpoint | undefined, command: string): Promise<boolean> {
  try {
    await endpoint?.close()
    return true
  } catch (error) {
    process.stderr.write(`overmind ${command}: ${(error as Error).message}\n`)
    return false
  }
}

/**
 * The embedded store as a PouchDB database. A source must exist (`create: false`); a restore's
 * target may be made here, as `overmind serve` would make it on its first start.
 */
export async function openEmbeddedStore (dataDir: string, database: string, { create = false } = {}): Promise<Endpoint> {
  const location = resolve(dataDir, database)
  const verdict = await inspectLeveldbDirectory(location).catch(() => ({ kind: 'new' as const }))
  if (verdict.kind === 'new' && !create) {
    throw new TransferError(`There is no embedded store in ${location} (OVERMIND_DATA_DIR and OVERMIND_DATABASE name it): nothing to copy.`)
  }
  if (create) await mkdir(location, { recursive: true }).catch(() => {})
  // Failures below PouchDB (a damaged table reads as "missing" above it) fail the copy.
  let trouble: Error | undefined
  const unwatch = watchLeveldb(location, { wrote () {}, writeFailed: (error) => { trouble ??= error }, readFailed: (error) => { trouble ??= error } })
  try {
    const db = await openCheckedPouch(location, SILENT, () => trouble)
    return {
      db,
      name: location,
      close: async () => {
        unwatch()
        await db.close()
        if (trouble !== undefined) throw new TransferError(`The embedded store in ${location} failed a read or write meanwhile (${trouble.message}): the copy cannot be trusted; check the disk, then run it again.`)
      }
    }
  } catch (error) {
    unwatch()
    // openFailure's sentence names the directory and what to do (a running service holds the lock).
    throw new TransferError((error as Error).message.replace(/^the/, 'The'), { cause: error })
  }
}

/**
 * One login (POST /_session) puts the session cookie in the jar that PouchDB's own fetch keeps
 * (pouchdb lib/index.js: `fetchCookie(nodeFetch)`), so CouchDB checks the password once, not on
 * every request as with Basic (pbkdf2, 600 000 rounds on 3.4), and a wrong password costs one
 * failed check, never a burst that CouchDB 3.4's auth lockout would count.
 * https://docs.couchdb.org/en/stable/api/server/authn.html#cookie-authentication
 */
export async function openCouchDatabase (couch: CouchConnection, role: 'source' | 'target'): Promise<Endpoint> {
  const name = `${couch.url}/${couch.database}`
  const secrets = [couch.password]
  if (couch.username !== undefined) {
    const login = await call(async () => await PouchDB.fetch(`${couch.url}/_session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ name: couch.username, password: couch.password ?? '' })
    }), couch, secrets)
    const answer = await login.json().catch(() => ({})) as { reason?: string }
    if (login.status !== 200) {
      throw new TransferError(`CouchDB at ${couch.url} refused the credentials of ${JSON.stringify(couch.username)} (${login.status}: ${scrub(String(answer.reason ?? ''), secrets)}); nothing was copied.`)
    }
  }
  const db = new PouchDB(name, { skip_setup: true }) as Pouch
  // PouchDB's http info() answers CouchDB's error inside the info object, or throws it.
  const info = await call(async () => await db.info(), couch, secrets).catch((error: unknown) => error) as { error?: string, status?: number, reason?: string }
  const error = info.error ?? (info.status === undefined ? undefined : String(info.status))
  if (error !== undefined) {
    await db.close().catch(() => {})
    if (error === 'not_found' || error === '404') throw new TransferError(`The ${role} database ${name} does not exist: ${role === 'target' ? `create it with \`OVERMIND_DATABASE=${couch.database} overmind bootstrap\` first (it also makes the design documents and the service's user)` : 'check --from'}.`)
    if (['unauthorized', 'forbidden', '401', '403'].includes(error)) throw new TransferError(`CouchDB does not let ${JSON.stringify(couch.username ?? 'anonymous')} use ${name} (${error}): make the user a member or an admin of the database.`)
    throw new TransferError(`The ${role} database ${name} cannot be read (${error}: ${scrub(String(info.reason ?? ''), secrets)}).`)
  }
  return { db, name, close: async () => { await db.close() } }
}

async function call<T> (send: () => Promise<T>, couch: CouchConnection, secrets: Array<string | undefined>): Promise<T> {
  try {
    return await send()
  } catch (error) {
    if ((error as { status?: number }).status !== undefined) throw error
    const code = (error as { code?: string }).code
    throw new TransferError(`CouchDB at ${couch.url} cannot be reached (${code ?? scrub((error as Error).message, secrets)}).`, { cause: error })
  }
}
