// Who CouchDB takes a set of credentials for, through `GET /_session` (Basic auth).
// https://docs.couchdb.org/en/stable/api/server/authn.html#get--_session
import { poll } from './backoff.js'
import { describeResponse, type Credentials } from './couch-client.js'
import type { StepContext } from './types.js'
import { BootstrapError } from './types.js'

export type SessionCheck =
  | { kind: 'accepted', roles: string[] }
  | { kind: 'rejected', detail: string }

export function adminCredentials (context: StepContext): Credentials {
  return context.auth === 'admin' ? { name: context.settings.username, password: context.settings.password } : 'anonymous'
}

export async function checkSession (context: StepContext, credentials: Credentials): Promise<SessionCheck> {
  const response = await context.couch.request('GET', '/_session', { auth: credentials })
  const userCtx = (response.body as { userCtx?: { name?: unknown, roles?: unknown } } | undefined)?.userCtx
  const expectedName = credentials === 'anonymous' ? null : credentials.name
  if (response.status === 200 && userCtx !== undefined && userCtx.name === expectedName) {
    const roles = Array.isArray(userCtx.roles) ? userCtx.roles.filter((role): role is string => typeof role === 'string') : []
    return { kind: 'accepted', roles }
  }
  if (response.status === 200 || response.status === 401) return { kind: 'rejected', detail: describeResponse(response) }
  throw new BootstrapError(`GET ${context.couch.url}/_session failed (${describeResponse(response)}).`)
}

/**
 * The same, but a rejection is retried for up to `withinMs`: CouchDB hashes a new admin's
 * password asynchronously and refreshes its user cache after a `_users` write, so credentials
 * written a moment ago may be refused for a few hundred milliseconds (recordings, surprise 16).
 */
export async function checkSessionSoon (context: StepContext, credentials: Credentials, withinMs = 5000): Promise<SessionCheck> {
  let last: SessionCheck = { kind: 'rejected', detail: 'not checked' }
  const { value } = await poll(async () => {
    last = await checkSession(context, credentials)
    return last.kind === 'accepted' ? last : undefined
  }, { timeoutMs: withinMs, policy: { baseMs: 50, maxMs: 500 }, sleep: context.sleep, random: context.random })
  return value ?? last
}

export function isAdminSession (check: SessionCheck): boolean {
  return check.kind === 'accepted' && check.roles.includes('_admin')
}
