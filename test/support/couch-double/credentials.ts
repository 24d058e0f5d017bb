// The stored credentials of a user name on one node, as couch_auth_cache:get_user_creds finds them:
// a hashed `[admins]` entry of that node first, else the `_users` document. The salt matters
// beyond the password check: it is part of the lockout key and of the cookie's HMAC key.
// A `_users` document with conflicting revisions is refused outright: chttpd_auth_cache opens it
// with `conflicts` and maybe_validate_user_creds throws 401 before any password is compared, so
// Basic auth, POST /_session and cookies all fail, the right password included, and nothing is
// counted toward the lockout (`[chttpd_auth] allow_conflicted_user_docs`, default false, is not
// emulated).
// https://github.com/apache/couchdb/blob/3.4.3/src/couch/src/couch_auth_cache.erl
// https://github.com/apache/couchdb/blob/3.4.3/src/chttpd/src/chttpd_auth_cache.erl (maybe_validate_user_creds)
import { couchErrors } from './errors.js'
import { adminsOf, type NodeState } from './node-state.js'
import { verifyAdminPassword, verifyUserDocument } from './passwords.js'
import type { DoubleState } from './state.js'

export interface Credentials {
  readonly roles: string[]
  /** '' when the stored entry has none. */
  readonly salt: string
  verify (password: string): boolean
}

/** `-pbkdf2[:prf]-KEY,SALT,N` or `-hashed-KEY,SALT`; anything else (a plain value) is no admin entry. */
const adminSalt = (stored: string): string | undefined =>
  stored.startsWith('-pbkdf2') || stored.startsWith('-hashed-') ? stored.split(',')[1] : undefined

export async function findCredentials (state: DoubleState, node: NodeState, name: string): Promise<Credentials | undefined> {
  const stored = adminsOf(node).get(name)
  // A plain password set through the config API is not hashed yet: CouchDB then finds no admin.
  const usable = (node.adminUsableAt.get(name) ?? 0) <= Date.now()
  const salt = stored === undefined || !usable ? undefined : adminSalt(stored)
  if (stored !== undefined && salt !== undefined) {
    return { roles: ['_admin'], salt, verify: (password) => verifyAdminPassword(stored, password) }
  }
  const doc = await userDocument(state, name)
  if (doc === undefined) return undefined
  if (Array.isArray(doc._conflicts) && doc._conflicts.length > 0) throw couchErrors.conflictedUser()
  const roles = Array.isArray(doc.roles) ? doc.roles.filter((role): role is string => typeof role === 'string') : []
  return { roles, salt: typeof doc.salt === 'string' ? doc.salt : '', verify: (password) => verifyUserDocument(doc, password) }
}

async function userDocument (state: DoubleState, name: string): Promise<Record<string, unknown> | undefined> {
  const users = state.databases.get('_users')
  if (users === undefined) return undefined
  try {
    return await users.pouch.get(`org.couchdb.user:${name}`, { conflicts: true }) as unknown as Record<string, unknown>
  } catch {
    return undefined
  }
}
