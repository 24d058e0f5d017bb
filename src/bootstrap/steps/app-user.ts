// `app-user`: least privilege. A plain `_users` user (COUCHDB_APP_USERNAME, its password from
// COUCHDB_APP_PASSWORD or *_FILE) that is the only member of the database, so the service can
// run without the admin's password. 2.x databases are public until `_security` names members;
// 3.x ones are admin-only (recordings, surprise 14). Whether the user has the configured password
// is read from its `_users` document as the admin, not tried against CouchDB (lockout, surprise 25).
// https://docs.couchdb.org/en/stable/intro/security.html#creating-a-new-user
// https://docs.couchdb.org/en/stable/api/database/security.html
import { describeResponse } from '../couch-client.js'
import { CredentialsRefused } from '../credential-guard.js'
import { userDocumentMatches } from '../password-hash.js'
import { adminCredentials, checkSession, type SessionCheck } from '../session.js'
import { BootstrapError, type Step, type StepContext, type StepOutcome } from '../types.js'

interface SecurityObject {
  admins: { names: string[], roles: string[] }
  members: { names: string[], roles: string[] }
}

export function desiredSecurity (appUsername: string): SecurityObject {
  return { admins: { names: [], roles: ['_admin'] }, members: { names: [appUsername], roles: ['_admin'] } }
}

/** Same names and roles, whatever the order and whether empty lists are spelled out. */
export function sameSecurity (a: unknown, b: SecurityObject): boolean {
  const list = (value: unknown, group: string, key: string): string => {
    const items = (value as Record<string, Record<string, unknown> | undefined> | undefined)?.[group]?.[key]
    return JSON.stringify(Array.isArray(items) ? [...items].sort() : [])
  }
  return ['admins', 'members'].every((group) => ['names', 'roles'].every((key) => list(a, group, key) === list(b, group, key)))
}

export const appUserStep: Step = {
  name: 'app-user',
  describe: 'create the non-admin user the service runs as, the only member of the database',
  async check (context) {
    const { appUsername, appPassword, database } = context.settings
    if (appUsername === undefined || appPassword === undefined) {
      return { status: 'skipped', message: 'no COUCHDB_APP_USERNAME configured: the service uses the admin credentials.' }
    }
    const app = { name: appUsername, password: appPassword }
    const user = await readUser(context, appUsername)
    const userOk = user !== undefined && await holdsPassword(context, user, app)
    const security = await readSecurity(context)
    const securityOk = security !== undefined && sameSecurity(security, desiredSecurity(appUsername))
    if (userOk && securityOk) return { status: 'unchanged', message: `user "${appUsername}" has the configured password and is the only member of ${database}.` }
    const changes = [
      ...(user === undefined ? [`create user "${appUsername}"`] : userOk ? [] : [`reset the password of "${appUsername}"`]),
      ...(securityOk ? [] : [`make "${appUsername}" the only member of ${database}`])
    ]
    return {
      status: user === undefined ? 'created' : 'updated',
      plan: `would ${changes.join(' and ')}.`,
      apply: async () => await apply(context, app, securityOk)
    }
  }
}

async function apply (context: StepContext, app: { name: string, password: string }, securityOk: boolean): Promise<StepOutcome> {
  const { database } = context.settings
  const userChange = await ensureUser(context, app)
  if (userChange !== 'unchanged') await confirmLogin(context, app)
  let securityChanged = false
  if (!securityOk) {
    const response = await context.couch.request('PUT', `/${encodeURIComponent(database)}/_security`, { auth: adminCredentials(context), body: desiredSecurity(app.name) })
    if (response.status !== 200) throw new BootstrapError(`Setting the members of ${database} failed (${describeResponse(response)}).`)
    securityChanged = true
  }
  const said = [
    userChange === 'created' ? `created user "${app.name}"` : userChange === 'updated' ? `reset the password of "${app.name}"` : `user "${app.name}" exists`,
    securityChanged ? `made it the only member of ${database}` : `it is the only member of ${database}`
  ].join(' and ')
  const status = userChange === 'created' ? 'created' : userChange === 'updated' || securityChanged ? 'updated' : 'unchanged'
  return { status, message: `${said}.` }
}

type UserDoc = Record<string, unknown> & { _rev: string }

/**
 * Whether the stored user has `app.password`, decided from the document's hash (no
 * authentication attempt, so nothing counts toward a lockout). Only a document in a form this
 * code cannot check costs one `GET /_session` as the user.
 */
async function holdsPassword (context: StepContext, user: UserDoc, app: { name: string, password: string }): Promise<boolean> {
  const matches = await userDocumentMatches(user, app.password)
  if (matches !== undefined) return matches
  return (await sessionAs(context, app)).kind === 'accepted'
}

/** One session check; a wrong password is an answer here, a lockout is not. */
async function sessionAs (context: StepContext, app: { name: string, password: string }): Promise<SessionCheck> {
  try {
    return await checkSession(context, app)
  } catch (error) {
    if (error instanceof CredentialsRefused && error.refusal === 'rejected') return { kind: 'rejected', detail: '401 unauthorized: Name or password is incorrect.' }
    throw error
  }
}

/**
 * After a write, CouchDB's user cache may serve the old document for a moment (recordings:
 * auth-security.json, a deleted user still logging in), so the new password gets two tries, a
 * second apart, and no more: each refusal is a counted authentication failure.
 */
async function confirmLogin (context: StepContext, app: { name: string, password: string }): Promise<void> {
  let last = await sessionAs(context, app)
  if (last.kind === 'rejected') {
    await context.sleep(1000)
    last = await sessionAs(context, app)
  }
  if (last.kind === 'rejected') {
    throw new BootstrapError(`user "${app.name}" was written with the configured password, but CouchDB still rejected it a second later (${last.detail}); its user cache may lag, run bootstrap again.`)
  }
}

async function readUser (context: StepContext, name: string): Promise<UserDoc | undefined> {
  const response = await context.couch.request('GET', userPath(name), { auth: adminCredentials(context) })
  if (response.status === 404) return undefined
  if (response.status !== 200) throw new BootstrapError(`Reading user "${name}" failed (${describeResponse(response)}).`)
  return response.body as UserDoc
}

/**
 * Create, or reset the password, on a revision: a 409 means another bootstrap wrote the user
 * meanwhile, so re-read and compare its hash before writing again (bounded).
 */
async function ensureUser (context: StepContext, app: { name: string, password: string }): Promise<'created' | 'updated' | 'unchanged'> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const current = await readUser(context, app.name)
    if (current !== undefined && await holdsPassword(context, current, app)) return 'unchanged'
    const doc = current === undefined
      ? { _id: `org.couchdb.user:${app.name}`, name: app.name, type: 'user', roles: [], password: app.password }
      : { ...withoutHash(current), password: app.password }
    const response = await context.couch.request('PUT', userPath(app.name), { auth: adminCredentials(context), body: doc })
    if (response.status === 201 || response.status === 202) return current === undefined ? 'created' : 'updated'
    if (response.status !== 409) throw new BootstrapError(`Writing user "${app.name}" failed (${describeResponse(response)}).`)
  }
  throw new BootstrapError(`user "${app.name}" kept changing under this bootstrap (5 attempts lost the race).`)
}

/** The stored hash fields are recomputed by CouchDB from the new `password`. */
function withoutHash (doc: UserDoc): Record<string, unknown> {
  const { derived_key: _key, salt: _salt, password_sha: _sha, iterations: _iterations, pbkdf2_prf: _prf, password_scheme: _scheme, ...rest } = doc
  return rest
}
async function readSecurity (context: StepContext): Promise<unknown> {
  const response = await context.couch.request('GET', `/${encodeURIComponent(context.settings.database)}/_security`, { auth: adminCredentials(context) })
  if (response.status === 404) return undefined
  if (response.status !== 200) throw new BootstrapError(`Reading the members of ${context.settings.database} failed (${describeResponse(response)}).`)
  return response.body
}

function userPath (name: string): string {
  return `/_users/${encodeURIComponent(`org.couchdb.user:${name}`)}`
}
