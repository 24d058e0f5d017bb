// AuthSession cookies as couch_httpd_auth.erl makes and checks them: base64url of
// `name:HEXTIME:HMAC`, the HMAC over `name:HEXTIME` keyed by the node's cookie secret followed by
// the user's salt. So a cookie works on another node only when that node has the same secret and
// the same salt for the user, a new salt (re-hashed password) voids old cookies, and a node
// without a secret ignores every cookie (the request stays anonymous).
// https://docs.couchdb.org/en/stable/api/server/authn.html#cookie-authentication
import { createHmac, timingSafeEqual } from 'node:crypto'
import { findCredentials } from './credentials.js'
import { CouchError } from './errors.js'
import type { UserCtx } from './http-kit.js'
import { authConfig, type NodeState } from './node-state.js'
import { isV3, type DoubleState } from './state.js'

const DEFAULT_TIMEOUT_SECONDS = 600

const timeoutSeconds = (node: NodeState): number => {
  const configured = parseInt(authConfig(node, 'timeout') ?? '', 10)
  return Number.isFinite(configured) ? configured : DEFAULT_TIMEOUT_SECONDS
}

/** 3.x signs with sha256 and still accepts sha1 (`[chttpd_auth] hash_algorithms = sha256, sha`). */
const algorithms = (state: DoubleState): string[] => isV3(state) ? ['sha256', 'sha1'] : ['sha1']

const hmac = (algorithm: string, secret: string, salt: string, data: string): Buffer =>
  createHmac(algorithm, secret + salt).update(data).digest()

function attributes (node: NodeState): string {
  const seconds = timeoutSeconds(node)
  const date = new Date(Date.now() + seconds * 1000).toUTCString().replace(/(\d{2}) (\w{3}) (\d{4})/, '$1-$2-$3')
  return `Version=1; Expires=${date}; Max-Age=${seconds}; Path=/; HttpOnly`
}

/** The Set-Cookie value of a successful POST /_session on `node`. */
export function sessionCookie (state: DoubleState, node: NodeState, secret: string, name: string, salt: string): string {
  const data = `${name}:${Math.floor(Date.now() / 1000).toString(16).toUpperCase()}`
  const signature = hmac(algorithms(state)[0], secret, salt, data)
  const value = Buffer.concat([Buffer.from(data + ':'), signature] as Uint8Array[]).toString('base64url')
  return `AuthSession=${value}; ${attributes(node)}`
}

/** The empty cookie a failed login or a logout sends. */
export const clearedCookie = (node: NodeState): string => `AuthSession=; ${attributes(node)}`

/** Splits `name:HEXTIME:HMAC` at its first two colons (the HMAC is raw bytes and may hold any). */
function parseCookie (value: string): { name: string, time: string, signature: Buffer } {
  const decoded = Buffer.from(value, 'base64url')
  const first = decoded.indexOf(':')
  const second = first < 0 ? -1 : decoded.indexOf(':', first + 1)
  if (second < 0) throw new CouchError(400, 'bad_request', 'Malformed AuthSession cookie. Please clear your cookies.')
  return { name: decoded.subarray(0, first).toString('utf8'), time: decoded.subarray(first + 1, second).toString('latin1'), signature: decoded.subarray(second + 1) }
}

/** The user an AuthSession cookie stands for on `node`, or null when it is absent, stale or not this node's. */
export async function cookieUser (state: DoubleState, node: NodeState, cookies: string | undefined): Promise<UserCtx | null> {
  const value = /(?:^|;\s*)AuthSession=([^;]*)/.exec(cookies ?? '')?.[1]
  if (value === undefined || value === '') return null
  const { name, time, signature } = parseCookie(value)
  const secret = authConfig(node, 'secret')
  if (secret === undefined) return null
  const credentials = await findCredentials(state, node, name)
  if (credentials === undefined) return null
  const issued = /^[0-9A-Fa-f]+$/.test(time) ? parseInt(time, 16) : NaN
  if (!(Date.now() / 1000 < issued + timeoutSeconds(node))) return null
  const data = `${name}:${time}`
  const valid = algorithms(state).some((algorithm) => {
    const expected = hmac(algorithm, secret, credentials.salt, data)
    return expected.length === signature.length && timingSafeEqual(expected as Uint8Array, signature as Uint8Array)
  })
  return valid ? { name, roles: credentials.roles } : null
}
