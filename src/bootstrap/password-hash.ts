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

/**
 * Does `stored` (a config value under `[admins]`) hash `password`? `undefined` when the value is
 * in a form this code cannot check (e.g. still the plain text that CouchDB has not hashed yet).
 */
export async function adminHashMatches (stored: string, password: string): Promise<boolean | undefined> {
  const pbkdf = /^-pbkdf2(?::(sha256|sha512|sha))?-([0-9a-f]+),([^,]+),(\d+)$/.exec(stored)
  if (pbkdf !== null) {
    const digest = pbkdf[1] === undefined || pbkdf[1] === 'sha' ? 'sha1' : pbkdf[1]
    const expected = Buffer.from(pbkdf[2]!, 'hex')
    const key = await pbkdf2Async(password, pbkdf[3]!, Number(pbkdf[4]), expected.length, digest)
    return timingSafeEqual(new Uint8Array(key), new Uint8Array(expected))
  }
  const simple = /^-hashed-([0-9a-f]{40}),(.+)$/.exec(stored)
  if (simple !== null) {
    const key = createHash('sha1').update(password + simple[2]!).digest()
    return timingSafeEqual(new Uint8Array(key), new Uint8Array(Buffer.from(simple[1]!, 'hex')))
  }
  return undefined
}
