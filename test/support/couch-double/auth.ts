// Who is asking, per node: the AuthSession cookie first, then Basic auth (CouchDB's default
// authentication_handlers order, chttpd:authenticate_request), then admin party on 1.x/2.x.
// Password checks go through couch_httpd_auth:authenticate/5's rules: lockout before password.
// https://docs.couchdb.org/en/stable/api/server/authn.html
import type { IncomingMessage } from 'node:http'
import { cookieUser } from './cookies.js'
import { findCredentials, type Credentials } from './credentials.js'
import { CouchError, couchErrors } from './errors.js'
import type { UserCtx } from './http-kit.js'
import { clientPeer, countFailure, refuseIfLockedOut } from './lockout.js'
import { adminsOf, type NodeState } from './node-state.js'
import { isV3, type DoubleState } from './state.js'

const ANONYMOUS: UserCtx = { name: null, roles: [] }

/** Admin party: no admin configured makes everyone an admin (1.x/2.x; 3.x refuses to start without one). */
export const isAdminParty = (state: DoubleState, node: NodeState): boolean => !isV3(state) && adminsOf(node).size === 0

export interface PasswordCheck {
  readonly state: DoubleState
  readonly node: NodeState
  readonly req: IncomingMessage
  /** Called for every failed password check (the `authFailures` counter). */
  readonly onFailure: () => void
}

/**
 * The user a name and password stand for, or null when they are wrong. An unknown name is only
 * checked (and counted) when `unknownCounts` — POST /_session checks it against an empty salt,
 * Basic auth answers 401 without counting. A locked-out key throws 403 whatever the password.
 */
export async function checkPassword (check: PasswordCheck, name: string, password: string, unknownCounts: boolean): Promise<{ user: UserCtx, credentials: Credentials } | null> {
  const { state, node } = check
  const credentials = await findCredentials(state, node, name)
  if (credentials === undefined && !unknownCounts) return null
  const salt = credentials?.salt ?? ''
  // The lockout came with CouchDB 3.4; 1.x and 2.x have none.
  const lockout = isV3(state)
  const peer = clientPeer(check.req)
  if (lockout) refuseIfLockedOut(node, peer, name, salt)
  if (credentials?.verify(password) === true) return { user: { name, roles: credentials.roles }, credentials }
  if (lockout) countFailure(node, peer, name, salt)
  check.onFailure()
  return null
}

export interface Authentication { user: UserCtx, by?: 'cookie' | 'default' }

/** Resolves the request's user; wrong Basic credentials are a 401 on every path, even `GET /`. */
export async function authenticate (check: PasswordCheck): Promise<Authentication> {
  const { state, node, req } = check
  const cookie = await cookieUser(state, node, req.headers.cookie)
  if (cookie !== null) return { user: cookie, by: 'cookie' }
  const header = req.headers.authorization
  if (header !== undefined && /^basic /i.test(header)) {
    const encoded = header.slice(6).trim()
    // CouchDB 3.4.3 crashes on a header that is not base64 (500 badarg); we answer the same.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new CouchError(500, 'unknown_error', 'badarg')
    const decoded = Buffer.from(encoded, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const checked = colon < 0 ? null : await checkPassword(check, decoded.slice(0, colon), decoded.slice(colon + 1), false)
    if (checked === null) throw couchErrors.wrongCredentials()
    return { user: checked.user, by: 'default' }
  }
  return { user: isAdminParty(state, node) ? { name: null, roles: ['_admin'] } : ANONYMOUS }
}
