// Who CouchDB takes a set of credentials for, through `GET /_session` (Basic auth). One call is
// one authentication attempt, and CouchDB 3.4 locks a user out after 5 failed ones, so callers
// check once (a wrong password throws CredentialsRefused, see credential-guard.ts).
// https://docs.couchdb.org/en/stable/api/server/authn.html#get--_session
import { describeResponse, type Credentials } from './couch-client.js'
import type { StepContext } from './types.js'
import { BootstrapError } from './bootstrap-error.js'

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

export function isAdminSession (check: SessionCheck): boolean {
  return check.kind === 'accepted' && check.roles.includes('_admin')
}
