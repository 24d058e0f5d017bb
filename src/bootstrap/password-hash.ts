// Pre-hashed admin passwords, so that every node of a cluster holds the *same* hash (same salt):
// CouchDB signs session cookies with the user's salt, and a cookie issued by one node is only
// accepted by another if both hash the admin alike. CouchDB keeps a value that starts with
// `-pbkdf2` as it is instead of hashing it again.
// https://docs.couchdb.org/en/stable/cluster/setup.html (same admin hash on every node)
import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

const pbkdf2Async = promisify(pbkdf2)

/** `-pbkdf2:sha256-` needs CouchDB 3.4+; older versions read the sha1 form. */
export async function hashAdminPassword (password: string, version: { major: number, minor: number }): Promise<string> {
  const salt = randomBytes(16).toString('hex')
  if (version.major > 3 || (version.major === 3 && version.minor >= 4)) {
    const key = await pbkdf2Async(password, salt, 600_000, 32, 'sha256')
    return `-pbkdf2:sha256-${key.toString('hex')},${salt},600000`
  }
  const key = await pbkdf2Async(password, salt, 10_000, 20, 'sha1')
  return `-pbkdf2-${key.toString('hex')},${salt},10000`
}

const KNOWN_PRFS = new Set(['sha', 'sha224', 'sha256', 'sha384', 'sha512'])

/** CouchDB's `pbkdf2_prf` names (`sha` is its name for sha1) → node's digest names. */
function digestOf (prf: string | undefined): string {
  return prf === undefined || prf === 'sha' ? 'sha1' : prf
}

async function pbkdf2Matches (password: string, salt: string, iterations: number, prf: string | undefined, keyHex: string): Promise<boolean> {
  const expected = Buffer.from(keyHex, 'hex')
  const key = await pbkdf2Async(password, salt, iterations, expected.length, digestOf(prf))
  return timingSafeEqual(new Uint8Array(key), new Uint8Array(expected))
}

function sha1Matches (password: string, salt: string, keyHex: string): boolean {
  const key = createHash('sha1').update(password + salt).digest()
  return timingSafeEqual(new Uint8Array(key), new Uint8Array(Buffer.from(keyHex, 'hex')))
}

/**
 * Does `stored` (a config value under `[admins]`) hash `password`? `undefined` when the value is
 * in a form this code cannot check (e.g. still the plain text that CouchDB has not hashed yet).
 */
export async function adminHashMatches (stored: string, password: string): Promise<boolean | undefined> {
  const pbkdf = /^-pbkdf2(?::(sha256|sha512|sha))?-([0-9a-f]+),([^,]+),(\d+)$/.exec(stored)
  if (pbkdf !== null) return await pbkdf2Matches(password, pbkdf[3]!, Number(pbkdf[4]), pbkdf[1], pbkdf[2]!)
  const simple = /^-hashed-([0-9a-f]{40}),(.+)$/.exec(stored)
  if (simple !== null) return sha1Matches(password, simple[2]!, simple[1]!)
  return undefined
}

/**
 * Does a `_users` document (read as the admin) hold `password`? Checked here, from its
 * `derived_key`/`salt`/`iterations`/`pbkdf2_prf` (or 1.x's `password_sha`), so that bootstrap
 * never has to try the password against CouchDB, where a failure counts toward a lockout.
 * `undefined` when the document stores the password in a form this code cannot check.
 * https://docs.couchdb.org/en/stable/intro/security.html#password-hashing
 */
export async function userDocumentMatches (doc: Record<string, unknown>, password: string): Promise<boolean | undefined> {
  const { password_scheme: scheme, salt, derived_key: key, iterations, pbkdf2_prf: prf, password_sha: sha } = doc
  if (typeof salt !== 'string') return undefined
  if (scheme === 'pbkdf2' && typeof key === 'string' && /^[0-9a-f]+$/.test(key)) {
    const rounds = Number(iterations ?? 10)
    if (!Number.isInteger(rounds) || rounds < 1 || (prf !== undefined && (typeof prf !== 'string' || !KNOWN_PRFS.has(prf)))) return undefined
    return await pbkdf2Matches(password, salt, rounds, prf, key)
  }
  if ((scheme === undefined || scheme === 'simple') && typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha)) return sha1Matches(password, salt, sha)
  return undefined
}
