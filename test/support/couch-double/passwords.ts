// Password hashes in CouchDB's own formats, so a hash written by the double works on a real CouchDB
// and a hash from a real CouchDB works on the double.
// https://docs.couchdb.org/en/stable/config/auth.html#config-admins
import { createHash, pbkdf2Sync, timingSafeEqual } from 'node:crypto'
import { randomHex } from './state.js'

/**
 * Far below CouchDB's 600000 (3.x) so tests stay fast; the stored iteration count travels with the
 * hash, so verification works for any count.
 */
export const DOUBLE_ITERATIONS = 10

export type HashFlavour = 'sha1' | 'sha256'

function derive (password: string, salt: string, iterations: number, prf: string, length: number): string {
  return pbkdf2Sync(password, salt, iterations, length, prf).toString('hex')
}

/** `-pbkdf2-KEY,SALT,N` (1.x/2.x, sha1) or `-pbkdf2:sha256-KEY,SALT,N` (3.x). */
export function hashAdminPassword (password: string, flavour: HashFlavour): string {
  const salt = randomHex(16)
  const key = derive(password, salt, DOUBLE_ITERATIONS, flavour, flavour === 'sha1' ? 20 : 32)
  return `${flavour === 'sha1' ? '-pbkdf2-' : '-pbkdf2:sha256-'}${key},${salt},${DOUBLE_ITERATIONS}`
}

export const isHashed = (value: string): boolean => value.startsWith('-pbkdf2') || value.startsWith('-hashed-')

const encoder = new TextEncoder()

/** Constant-time string comparison (for hashes, signatures and plain config passwords). */
export const sameText = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(encoder.encode(a), encoder.encode(b))
const sameHex = sameText

/** Checks a password against a config value (hashed, or still plain text). */
export function verifyAdminPassword (stored: string, password: string): boolean {
  const pbkdf2 = /^-pbkdf2(?::(sha\d+))?-([0-9a-f]+),([^,]+),(\d+)$/.exec(stored)
  if (pbkdf2 !== null) {
    const [, prf = 'sha1', key, salt, iterations] = pbkdf2
    return sameHex(derive(password, salt, Number(iterations), prf, key.length / 2), key)
  }
  const legacy = /^-hashed-([0-9a-f]+),(.+)$/.exec(stored)
  if (legacy !== null) return sameHex(createHash('sha1').update(password + legacy[2]).digest('hex'), legacy[1])
  return !stored.startsWith('-') && sameText(stored, password)
}

/** Replaces `password` in a `_users` document by the fields CouchDB stores instead. */
export function hashUserDocument (doc: Record<string, unknown>, flavour: HashFlavour): Record<string, unknown> {
  if (typeof doc.password !== 'string') return doc
  const { password, ...rest } = doc
  const salt = randomHex(16)
  return {
    ...rest,
    password_scheme: 'pbkdf2',
    ...(flavour === 'sha256' ? { pbkdf2_prf: 'sha256' } : {}),
    salt,
    iterations: DOUBLE_ITERATIONS,
    derived_key: derive(password, salt, DOUBLE_ITERATIONS, flavour, flavour === 'sha1' ? 20 : 32),
  }
}

/** Checks a password against a `_users` document. */
export function verifyUserDocument (doc: Record<string, unknown>, password: string): boolean {
  const { salt, derived_key: key, iterations, pbkdf2_prf: prf, password_scheme: scheme, password_sha: sha } = doc
  if (scheme === 'pbkdf2' && typeof salt === 'string' && typeof key === 'string') {
    return sameHex(derive(password, salt, Number(iterations ?? 10), typeof prf === 'string' ? prf : 'sha1', key.length / 2), key)
  }
  if (typeof sha === 'string' && typeof salt === 'string') return sameHex(createHash('sha1').update(password + salt).digest('hex'), sha)
  return false
}
