// The server admin lives in each node's config under `[admins]`: one PUT per node, the body a
// JSON string (the plain password, or a `-pbkdf2-` hash that CouchDB keeps as it is).
// https://docs.couchdb.org/en/stable/config/auth.html#config-admins
// On a cluster every node gets the same hash; which one is decided the same way by every racing
// bootstrap (the first node, in name order, whose hash matches the password), so they converge.
import { describeResponse, type Credentials } from './couch-client.js'
import { adminHashMatches, hashAdminPassword } from './password-hash.js'
import type { ServerInfo } from './server-info.js'
import { BootstrapError, type StepContext } from './types.js'

export interface AdminSync {
  /** Config bases (one per node) whose value differs from `value`. */
  targets: string[]
  value: string
  nodes: number
}

function adminPath (base: string, name: string): string {
  return `${base}/admins/${encodeURIComponent(name)}`
}

export async function readAdminValue (context: StepContext, base: string, auth: Credentials): Promise<string | undefined> {
  const response = await context.couch.request('GET', adminPath(base, context.settings.username), { auth })
  if (response.status === 404) return undefined
  if (response.status === 200 && typeof response.body === 'string') return response.body
  throw new BootstrapError(`Reading the admin entry at ${base} failed (${describeResponse(response)}).`)
}

/** What must be written so that every node holds one hash of the password. */
export async function planAdminSync (context: StepContext, bases: string[], info: ServerInfo, auth: Credentials): Promise<AdminSync> {
  const values = await Promise.all(bases.map(async (base) => await readAdminValue(context, base, auth)))
  let chosen: string | undefined
  for (const value of values) {
    if (value !== undefined && await adminHashMatches(value, context.settings.password) === true) {
      chosen = value
      break
    }
  }
  chosen ??= await hashAdminPassword(context.settings.password, info)
  return { targets: bases.filter((_, index) => values[index] !== chosen), value: chosen, nodes: bases.length }
}

/**
 * PUTs `value` on each base in order; stops at the first 401/403 (the admin party ended: another
 * bootstrap created the admin first). Returns how many were written.
 */
export async function writeAdminValue (context: StepContext, bases: string[], value: string, auth: Credentials): Promise<number> {
  let written = 0
  for (const base of bases) {
    const response = await context.couch.request('PUT', adminPath(base, context.settings.username), { auth, body: value })
    if (response.status === 401 || response.status === 403) break
    if (response.status !== 200) throw new BootstrapError(`Writing the admin entry at ${base} failed (${describeResponse(response)}).`)
    written++
  }
  return written
}
