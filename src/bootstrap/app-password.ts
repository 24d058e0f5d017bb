// The app user's password in its `_users` document, shared by `app-user` (which creates the user)
// and `rotate-password` (which only changes the password). Whether the stored hash holds the
// configured password is computed here from the document read as the admin, never tried against
// CouchDB, where a failed check counts toward the lockout (docs/bootstrap.md, "Auth lockout").
// Writing `password` makes CouchDB hash it with a new salt (couch_users_db.erl `save_doc`), which
// also voids the user's session cookies (their HMAC key includes the salt).
// https://docs.couchdb.org/en/stable/intro/security.html#password-hashing
import { CredentialsRefused } from './credential-guard.js'
import { contentOf, ensureDocument, readDocument, settleConflicts, type DocumentAt, type Ensured, type StoredDocument } from './document-conflicts.js'
import { userDocumentMatches } from './password-hash.js'
import { checkSession } from './session.js'
import { BootstrapError } from './bootstrap-error.js'
import type { StepContext } from './types.js'

export type App = { name: string, password: string }

export interface PasswordChecks {
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
export function passwordChecks (context: StepContext, app: App): PasswordChecks {
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

/**
 * Creates the user, or gives it the configured password, keeping its other fields; settles a
 * conflicted document; then confirms one login. Returns what it wrote and the leaves it deleted.
 */
export async function writeUser (context: StepContext, app: App, passwords: PasswordChecks): Promise<Ensured> {
  const at = userAt(app.name)
  const user = await ensureDocument(context, at, {
    ...passwords,
    body: (current) => current === undefined
      ? { _id: `org.couchdb.user:${app.name}`, name: app.name, type: 'user', roles: [], password: app.password }
      : { ...withoutHash(contentOf(current)), password: app.password }
  })
  if (user.wrote !== undefined || user.removed > 0) user.removed += await confirmLogin(context, app, at, passwords)
  return user
}

export function userAt (name: string): DocumentAt {
  return { path: `/_users/${encodeURIComponent(`org.couchdb.user:${name}`)}`, what: `user "${name}"` }
}
