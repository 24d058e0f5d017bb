// Conflicting revisions planted the way a cluster race leaves them: another generation-1 leaf of
// the same document, written as internal replication writes it (`_bulk_docs` with
// `new_edits: false`), which the double and a real CouchDB both accept.
// https://docs.couchdb.org/en/stable/api/database/bulk-api.html#api-db-bulk-docs-conflicts
import assert from 'node:assert/strict'
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { couchRequest } from './helpers.js'

type Admin = { name: string, password: string }
type Doc = Record<string, unknown> & { _id: string }

/** Revision hashes that always win (`f…`) or always lose (`0…`) against a CouchDB-made one. */
export const WINS = 'f'.repeat(32)
export const LOSES = '0'.repeat(32)

export const userPath = (name: string): string => `/_users/${encodeURIComponent(`org.couchdb.user:${name}`)}`

/**
 * A `_users` document as another coordinator would have stored it: the password hashed with its
 * own salt (10 PBKDF2 rounds instead of 600000, so that tests stay fast; CouchDB accepts any count).
 */
export function hashedUser (name: string, password: string): Doc {
  const salt = randomBytes(16).toString('hex')
  return {
    _id: `org.couchdb.user:${name}`,
    name,
    type: 'user',
    roles: [],
    password_scheme: 'pbkdf2',
    pbkdf2_prf: 'sha256',
    iterations: 10,
    salt,
    derived_key: pbkdf2Sync(password, salt, 10, 32, 'sha256').toString('hex')
  }
}

/** Writes `doc` as the leaf `1-<hash>` beside whatever revisions exist; returns that revision. */
export async function plantLeaf (url: string, admin: Admin, database: string, doc: Doc, hash: string): Promise<string> {
  const rev = `1-${hash}`
  const answer = await couchRequest(url, 'POST', `/${encodeURIComponent(database)}/_bulk_docs`, admin,
    { new_edits: false, docs: [{ ...doc, _rev: rev, _revisions: { start: 1, ids: [hash] } }] })
  assert.equal(answer.status, 201, JSON.stringify(answer.body))
  return rev
}

/** The winner's revision and its live conflicts. */
export async function leavesOf (url: string, admin: Admin, path: string): Promise<{ rev: string, conflicts: string[], doc: Record<string, unknown> }> {
  const answer = await couchRequest(url, 'GET', `${path}?conflicts=true`, admin)
  assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`)
  return { rev: answer.body._rev, conflicts: answer.body._conflicts ?? [], doc: answer.body }
}

/** Cleanup on a real server: every live leaf deleted, so nothing of the test is left. */
export async function deleteEveryLeaf (url: string, admin: Admin, path: string): Promise<void> {
  const answer = await couchRequest(url, 'GET', `${path}?conflicts=true`, admin)
  if (answer.status !== 200) return
  for (const rev of [answer.body._rev, ...(answer.body._conflicts ?? [])]) await couchRequest(url, 'DELETE', `${path}?rev=${rev as string}`, admin)
}
