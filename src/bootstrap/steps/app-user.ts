// `app-user`: least privilege. A plain `_users` user (COUCHDB_APP_USERNAME, its password from
// COUCHDB_APP_PASSWORD or *_FILE) that is the only member of the database, so the service can
// run without the admin's password. 2.x databases are public until `_security` names members;
// 3.x ones are admin-only (test/fixtures/couchdb-3.4/README.md, surprise 14). Whether the user has the configured password
// is read from its `_users` document as the admin, not tried against CouchDB (lockout: test/fixtures/couchdb-3.4/README.md, surprise 25).
// A conflicted `_users` document (racing runs on a cluster, document-conflicts.ts) authenticates
// nobody, so it is settled here: one revision with the configured password is kept.
// https://docs.couchdb.org/en/stable/intro/security.html#creating-a-new-user
// https://docs.couchdb.org/en/stable/api/database/security.html
import { passwordChecks, userAt, writeUser, type App, type PasswordChecks } from '../app-password.js'
import { describeResponse } from '../couch-client.js'
import { conflictsOf, readDocument, revisions } from '../document-conflicts.js'
import { adminCredentials } from '../session.js'
import { BootstrapError } from '../bootstrap-error.js'
import { type Step, type StepContext, type StepOutcome } from '../types.js'

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

export const appUserStep: Step<'app-user'> = {
  name: 'app-user',
  describe: 'create the non-admin user the service runs as, the only member of the database',
  async check (context) {
    const { appUsername, appPassword, database } = context.settings
    if (appUsername === undefined || appPassword === undefined) {
      return { status: 'skipped', message: 'no COUCHDB_APP_USERNAME configured: the service uses the admin credentials.' }
    }
    const app = { name: appUsername, password: appPassword }
    const passwords = passwordChecks(context, app)
    const user = await readDocument(context, userAt(appUsername))
    const conflicts = conflictsOf(user).length
    const userOk = user !== undefined && conflicts === 0 && await passwords.done(user)
    const security = await readSecurity(context)
    const securityOk = security !== undefined && sameSecurity(security, desiredSecurity(appUsername))
    if (userOk && securityOk) return { status: 'unchanged', message: `user "${appUsername}" has the configured password and is the only member of ${database}.` }
    const changes = [
      ...(conflicts > 0 ? [`remove ${revisions(conflicts)} of user "${appUsername}" (CouchDB refuses a conflicted user), keeping one with the configured password`] : []),
      ...(user === undefined ? [`create user "${appUsername}"`] : userOk || conflicts > 0 ? [] : [`reset the password of "${appUsername}"`]),
      ...(securityOk ? [] : [`make "${appUsername}" the only member of ${database}`])
    ]
    return {
      status: user === undefined ? 'created' : 'updated',
      plan: `would ${changes.join(' and ')}.`,
      apply: async () => await apply(context, app, passwords, securityOk)
    }
  }
}

async function apply (context: StepContext, app: App, passwords: PasswordChecks, securityOk: boolean): Promise<StepOutcome> {
  const { database } = context.settings
  const user = await writeUser(context, app, passwords)
  let securityChanged = false
  if (!securityOk) {
    const response = await context.couch.request('PUT', `/${encodeURIComponent(database)}/_security`, { auth: adminCredentials(context), body: desiredSecurity(app.name) })
    if (response.status !== 200) throw new BootstrapError(`Setting the members of ${database} failed (${describeResponse(response)}).`)
    securityChanged = true
  }
  const written = user.wrote === 'created' ? `created user "${app.name}"` : user.wrote === 'updated' ? `reset the password of "${app.name}"` : `user "${app.name}" exists`
  const repaired = user.removed > 0 ? `, removing ${revisions(user.removed)} left by racing writes (kept one with the configured password),` : ''
  const said = `${written}${repaired} and ${securityChanged ? `made it the only member of ${database}` : `it is the only member of ${database}`}`
  const status = user.wrote === 'created' ? 'created' : user.wrote === 'updated' || user.removed > 0 || securityChanged ? 'updated' : 'unchanged'
  return { status, message: `${said}.` }
}

async function readSecurity (context: StepContext): Promise<unknown> {
  const response = await context.couch.request('GET', `/${encodeURIComponent(context.settings.database)}/_security`, { auth: adminCredentials(context) })
  if (response.status === 404) return undefined
  if (response.status !== 200) throw new BootstrapError(`Reading the members of ${context.settings.database} failed (${describeResponse(response)}).`)
  return response.body
}
