// Who is asking: Basic auth, the AuthSession cookie, admin party.
// https://docs.couchdb.org/en/stable/api/server/authn.html
import { createHmac } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { CouchError, couchErrors } from './errors.js'
import type { UserCtx } from './http-kit.js'
import { sameText, verifyAdminPassword, verifyUserDocument } from './passwords.js'
import { isV3, type DoubleState } from './state.js'

const SESSION_SECONDS = 600
const ANONYMOUS: UserCtx = { name: null, roles: [] }

export const admins = (state: DoubleState): Map<string, string> => state.config.get('admins') ?? new Map()

/** Admin party: no admin configured makes everyone an admin (1.x/2.x; 3.x refuses to start without one). */
export const isAdminParty = (state: DoubleState): boolean => !isV3(state) && admins(state).size === 0

/** The user a name and password stand for, or null when they are wrong. */
export async function checkPassword (state: DoubleState, name: string, password: string): Promise<UserCtx | null> {
  const adminHash = admins(state).get(name)
  if (adminHash !== undefined) {
    if ((state.adminUsableAt.get(name) ?? 0) > Date.now()) return null
    return verifyAdminPassword(adminHash, password) ? { name, roles: ['_admin'] } : null
  }
  const doc = await userDocument(state, name)
  if (doc === undefined || !verifyUserDocument(doc, password)) return null
  return { name, roles: Array.isArray(doc.roles) ? doc.roles.filter((r): r is string => typeof r === 'string') : [] }
}

async function userDocument (state: DoubleState, name: string): Promise<Record<string, unknown> | undefined> {
  const users = state.databases.get('_users')
  if (users === undefined) return undefined
  try {
    return await users.pouch.get(`org.couchdb.user:${name}`) as unknown as Record<string, unknown>
  } catch {
    return undefined
  }
}

export interface Authentication { user: UserCtx, by?: 'cookie' | 'default' }

/** Resolves the request's user; wrong credentials are a 401 on every path, even `GET /`. */
export async function authenticate (state: DoubleState, req: IncomingMessage): Promise<Authentication> {
  const header = req.headers.authorization
  if (header !== undefined && /^basic /i.test(header)) {
    const encoded = header.slice(6).trim()
    // CouchDB 3.4.3 crashes on a header that is not base64 (500 badarg); we answer the same.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new CouchError(500, 'unknown_error', 'badarg')
    const decoded = Buffer.from(encoded, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const user = colon < 0 ? null : await checkPassword(state, decoded.slice(0, colon), decoded.slice(colon + 1))
    if (user === null) throw couchErrors.wrongCredentials()
    return { user, by: 'default' }
  }
  const cookieUser = await userFromCookie(state, req.headers.cookie)
  if (cookieUser !== null) return { user: cookieUser, by: 'cookie' }
  return { user: isAdminParty(state) ? { name: null, roles: ['_admin'] } : ANONYMOUS }
}

function sign (state: DoubleState, payload: string): string {
  return createHmac('sha256', state.cookieSecret).update(payload).digest('hex')
}

/** `AuthSession=...` as CouchDB formats it: name:hex-time:hmac, base64url. */
export function sessionCookie (state: DoubleState, name: string | null): string {
  const expires = new Date(Date.now() + SESSION_SECONDS * 1000)
  let value = ''
  if (name !== null) {
    const payload = `${name}:${Math.floor(expires.getTime() / 1000).toString(16).toUpperCase()}`
    value = Buffer.from(`${payload}:${sign(state, payload)}`).toString('base64url')
  }
  const date = expires.toUTCString().replace(/(\d{2}) (\w{3}) (\d{4})/, '$1-$2-$3')
  return `AuthSession=${value}; Version=1; Expires=${date}; Max-Age=${SESSION_SECONDS}; Path=/; HttpOnly`
}

async function userFromCookie (state: DoubleState, cookies: string | undefined): Promise<UserCtx | null> {
  const value = /(?:^|;\s*)AuthSession=([^;]*)/.exec(cookies ?? '')?.[1]
  if (value === undefined || value === '') return null
  const decoded = Buffer.from(value, 'base64url').toString('utf8')
  const lastColon = decoded.lastIndexOf(':')
  const payload = decoded.slice(0, lastColon)
  const signature = decoded.slice(lastColon + 1)
  const expected = sign(state, payload)
  if (!sameText(signature, expected)) return null
  const timeColon = payload.lastIndexOf(':')
  const name = payload.slice(0, timeColon)
  if (parseInt(payload.slice(timeColon + 1), 16) * 1000 < Date.now()) return null
  if (admins(state).has(name)) return { name, roles: ['_admin'] }
  const doc = await userDocument(state, name)
  if (doc === undefined) return null
  return { name, roles: Array.isArray(doc.roles) ? doc.roles as string[] : [] }
}
