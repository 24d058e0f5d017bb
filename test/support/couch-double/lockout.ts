// CouchDB 3.4's automatic user lockout (src/couch/src/couch_auth_lockout.erl, recorded in
// auth-lockout*.json): failed password checks are counted per key (client IP, user name, salt of
// the stored hash); once a key has `threshold` failures, every further password check for it is
// refused with 403 BEFORE the password is looked at, until `max_lifetime` ms after its first failure.
// https://docs.couchdb.org/en/stable/config/auth.html#chttpd_auth_lockout
import type { IncomingMessage } from 'node:http'
import { CouchError } from './errors.js'
import { configValue, type NodeState } from './node-state.js'

const DEFAULT_THRESHOLD = 5
const DEFAULT_MAX_LIFETIME_MS = 300000

export interface LockoutTable {
  readonly entries: Map<string, { failures: number, firstAt: number }>
  readonly maxLifetimeMs: number
}

/**
 * `max_lifetime` is read once, when the node starts (couch_primary_sup sizes the LRU then), so a
 * config change applies after stopNode/startNode; the table itself is memory and starts empty.
 */
export function restartLockout (node: NodeState): void {
  const configured = parseInt(configValue(node, 'chttpd_auth_lockout', 'max_lifetime') ?? '', 10)
  node.lockout = createLockoutTable(Number.isFinite(configured) ? configured : DEFAULT_MAX_LIFETIME_MS)
}

export function createLockoutTable (maxLifetimeMs = DEFAULT_MAX_LIFETIME_MS): LockoutTable {
  return { entries: new Map(), maxLifetimeMs }
}

export const lockedOut = (): CouchError =>
  new CouchError(403, 'forbidden', 'Account is temporarily locked due to multiple authentication failures')

/** Read on every request, so a config PUT applies at once; any unknown value means off. */
export function lockoutMode (node: NodeState): 'enforce' | 'warn' | 'off' {
  const mode = configValue(node, 'chttpd_auth_lockout', 'mode') ?? 'enforce'
  return mode === 'enforce' || mode === 'warn' ? mode : 'off'
}

function threshold (node: NodeState): number {
  const configured = parseInt(configValue(node, 'chttpd_auth_lockout', 'threshold') ?? '', 10)
  return Number.isFinite(configured) ? configured : DEFAULT_THRESHOLD
}

const keyOf = (peer: string, name: string, salt: string): string => JSON.stringify([peer, name, salt])

function failuresOf (node: NodeState, key: string): number {
  const entry = node.lockout.entries.get(key)
  if (entry === undefined) return 0
  if (Date.now() - entry.firstAt >= node.lockout.maxLifetimeMs) {
    node.lockout.entries.delete(key)
    return 0
  }
  return entry.failures
}

/** Throws the 403 when this key is locked and the mode is enforce (warn only logs, in CouchDB). */
export function refuseIfLockedOut (node: NodeState, peer: string, name: string, salt: string): void {
  if (lockoutMode(node) !== 'enforce') return
  if (failuresOf(node, keyOf(peer, name, salt)) >= threshold(node)) throw lockedOut()
}

/** Counts one failed password check (warn counts too; off does not). */
export function countFailure (node: NodeState, peer: string, name: string, salt: string): void {
  if (lockoutMode(node) === 'off') return
  const key = keyOf(peer, name, salt)
  const failures = failuresOf(node, key)
  const entry = node.lockout.entries.get(key)
  node.lockout.entries.set(key, { failures: failures + 1, firstAt: entry?.firstAt ?? Date.now() })
}

/** 127.0.0.1, 10/8, 172.16/12, 192.168/16, 100.64/10: the peers whose X-Forwarded-For mochiweb trusts. */
function isTrustedProxy (ip: string): boolean {
  const octets = ip.split('.').map(Number)
  if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet))) return false
  const [a, b] = octets
  return ip === '127.0.0.1' || a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b < 128)
}

/** The client IP as mochiweb's `get(peer)` reports it: the last X-Forwarded-For entry behind a trusted proxy. */
export function clientPeer (req: IncomingMessage): string {
  const socketIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
  const forwarded = req.headers['x-forwarded-for']
  const header = Array.isArray(forwarded) ? forwarded.join(',') : forwarded
  if (header === undefined || !isTrustedProxy(socketIp)) return socketIp
  const entries = header.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  return entries.at(-1) ?? socketIp
}
