// `app-user`: least privilege. A plain `_users` user (COUCHDB_APP_USERNAME, its password from
// COUCHDB_APP_PASSWORD or *_FILE) that is the only member of the database, so the service can
// run without the admin's password. 2.x databases are public until `_security` names members;
// 3.x ones are admin-only (test/fixtures/couchdb-3.4/README.md, surprise 14). Whether the user has the configured password
// is read from its `_users` document as the admin, not tried against CouchDB (lockout: test/fixtures/couchdb-3.4/README.md, surprise 25).
// A conflicted `_users` document (racing runs on a cluster, document-conflicts.ts) authenticates
// nobody, so it is settled here: one revision with the configured password is kept.
// https://docs.couchdb.org/en/stable/intro/security.html#creating-a-new-user
// https://docs.couchdb.org/en/stable/api/database/security.html
import { describeResponse } from '../couch-client.js'
import { CredentialsRefused } from '../credential-guard.js'
import { conflictsOf, contentOf, ensureDocument, readDocument, revisions, settleConflicts, type DocumentAt, type StoredDocument } from '../document-conflicts.js'
import { userDocumentMatches } from '../password-hash.js'
import { adminCredentials, checkSession } from '../session.js'
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

type App = { name: string, password: string }

async function apply (context: StepContext, app: App, passwords: PasswordChecks, securityOk: boolean): Promise<StepOutcome> {
  const { database } = context.settings
  const at = userAt(app.name)
  const user = await ensureDocument(context, at, {
    ...passwords,
    body: (current) => current === undefined
      ? { _id: `org.couchdb.user:${app.name}`, name: app.name, type: 'user', roles: [], password: app.password }
      : { ...withoutHash(contentOf(current)), password: app.password }
  })
  if (user.wrote !== undefined || user.removed > 0) user.removed += await confirmLogin(context, app, at, passwords)
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

interface PasswordChecks {
  /** The user is done: its stored hash matches, or (a form not checkable here) one login works. */
  done: (doc: StoredDocument) => Promise<boolean>
  /** A conflicting leaf holds the password: decided from its hash alone. */
  keep: (doc: StoredDocument) => Promise<boolean>
}

/**
 * Whether a stored user has the configured password, decided from the document's hash (no
 * authentication attempt, so nothing counts toward a lockout). Only a document in a form this
 * code cannot check costs one `GET /_session` as the user. Each hash is computed once per run
 * (600000 PBKDF2 rounds on CouchDB 3.4).
 */
function passwordChecks (context: StepContext, app: App): PasswordChecks {
  const known = new Map<string, boolean | undefined>()
  const matches = async (doc: StoredDocument): Promise<boolean | undefined> => {
    const key = JSON.stringify([doc.password_scheme, doc.pbkdf2_prf, doc.iterations, doc.salt, doc.derived_key, doc.password_sha])
    if (!known.has(key)) known.set(key, await userDocumentMatches(doc, app.password))
    return known.get(key)
  }
  return {
    done: async (doc) => await matches(doc) ?? (await sessionAs(context, app)).kind === 'accepted',
    keep: async (doc) => await matches(doc) === true
  }
}

type Login = { kind: 'accepted' } | { kind: 'rejected', detail: string } | { kind: 'conflicted', refusal: CredentialsRefused }

/** One session check; a wrong password or a conflicted user document is an answer here, a lockout is not. */
async function sessionAs (context: StepContext, app: App): Promise<Login> {
  try {
    const check = await checkSession(context, app)
    return check.kind === 'accepted' ? { kind: 'accepted' } : check
  } catch (error) {
    if (error instanceof CredentialsRefused && error.refusal === 'rejected') return { kind: 'rejected', detail: '401 unauthorized: Name or password is incorrect.' }
    if (error instanceof CredentialsRefused && error.refusal === 'conflicted') return { kind: 'conflicted', refusal: error }
    throw error
  }
}

/**
 * Proves the user works end to end, once it is written or repaired. CouchDB's user cache may
 * serve the old document for a moment (recordings: auth-security.json, a deleted user still logging
 * in), so a wrong-password answer gets one more try a second later and no more: each is a counted
 * authentication failure. A conflicted document (a racing run's write met this one on some copy
 * after this run looked) is settled and tried again, up to three times: CouchDB refuses it before
 * comparing any password, so that refusal counts nothing toward the lockout
 * (chttpd_auth_cache:maybe_validate_user_creds). Returns the leaves it deleted.
 */
async function confirmLogin (context: StepContext, app: App, at: DocumentAt, passwords: PasswordChecks): Promise<number> {
  let rejected = 0
  let conflicted = 0
  let removed = 0
  for (;;) {
    const login = await sessionAs(context, app)
    if (login.kind === 'accepted') return removed
    if (login.kind === 'rejected' && ++rejected === 2) {
      throw new BootstrapError(`user "${app.name}" was written with the configured password, but CouchDB still rejected it a second later (${login.detail}); its user cache may lag, run bootstrap again.`)
    }
    if (login.kind === 'conflicted') {
      if (++conflicted === 3) throw login.refusal
      removed += (await settleConflicts(context, at, await readDocument(context, at, { everyCopy: true }), passwords.keep)).removed
    }
    await context.sleep(1000)
  }
}

/** The stored hash fields are recomputed by CouchDB from the new `password`. */
function withoutHash (doc: Record<string, unknown>): Record<string, unknown> {
  const { derived_key: _key, salt: _salt, password_sha: _sha, iterations: _iterations, pbkdf2_prf: _prf, password_scheme: _scheme, ...rest } = doc
  return rest
}

async function readSecurity (context: StepContext): Promise<unknown> {
  const response = await context.couch.request('GET', `/${encodeURIComponent(context.settings.database)}/_security`, { auth: adminCredentials(context) })
  if (response.status === 404) return undefined
  if (response.status !== 200) throw new BootstrapError(`Reading the members of ${context.settings.database} failed (${describeResponse(response)}).`)
  return response.body
}

function userAt (name: string): DocumentAt {
  return { path: `/_users/${encodeURIComponent(`org.couchdb.user:${name}`)}`, what: `user "${name}"` }
}
