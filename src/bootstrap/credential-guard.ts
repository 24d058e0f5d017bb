// Credentials that CouchDB refuses end the run at the first refusal. CouchDB 3.4 counts every
// failed authentication per {client IP, user name, salt} and, after `[chttpd_auth_lockout]
// threshold` (5) of them, answers 403 to that key for up to `max_lifetime` (5 min), the right
// password included (test/fixtures/couchdb-3.4/README.md, surprise 25; auth-lockout.json). A bootstrap that retried a
// rejected password, or went on to the next step with it, would lock the admin out of the very
// pod that is meant to set CouchDB up. So every request sent with credentials passes through here:
// a wrong-password 401 or a lockout 403 becomes a `CredentialsRefused`, which no step retries.
// A third refusal is not about the password at all: a `_users` document with conflicting
// revisions authenticates nobody (401, before any password is compared, so not counted either).
// https://github.com/apache/couchdb/blob/3.4.3/src/couch/src/couch_auth_lockout.erl
// https://github.com/apache/couchdb/blob/3.4.3/src/couch/src/couch_httpd_auth.erl (authenticate/5)
// https://github.com/apache/couchdb/blob/3.4.3/src/chttpd/src/chttpd_auth_cache.erl (maybe_validate_user_creds)
import { describeResponse, type CouchClient, type CouchResponse } from './couch-client.js'
import { BootstrapError } from './bootstrap-error.js'

export type Refusal = 'rejected' | 'locked' | 'conflicted'

/** CouchDB 1.x–3.x say this for a wrong password or an unknown user (never for "not an admin"). */
const WRONG_CREDENTIALS = 'Name or password is incorrect.'
const LOCKED_OUT = 'Account is temporarily locked'
const CONFLICTED_USER = 'User document conflicts must be resolved'

export function refusalOf (response: CouchResponse): Refusal | undefined {
  const body = response.body as { error?: unknown, reason?: unknown } | undefined
  const reason = typeof body?.reason === 'string' ? body.reason : ''
  if (response.status === 401 && reason === WRONG_CREDENTIALS) return 'rejected'
  if (response.status === 401 && reason.startsWith(CONFLICTED_USER)) return 'conflicted'
  if (response.status === 403 && body?.error === 'forbidden' && reason.startsWith(LOCKED_OUT)) return 'locked'
  return undefined
}

export class CredentialsRefused extends BootstrapError {
  constructor (readonly refusal: Refusal, readonly user: string, message: string) {
    super(message)
    this.name = 'CredentialsRefused'
  }
}

/** The sentence for people: who was refused and what to do; never the password. */
export function refusalMessage (refusal: Refusal, url: string, user: { name: string, who: string }, response: CouchResponse): string {
  const { name, who } = user
  if (refusal === 'rejected') {
    return `CouchDB at ${url} rejected the credentials of ${who} (${describeResponse(response)}): the password is wrong, ` +
      'or the user does not exist there; check the Secret, or the user configured in CouchDB.'
  }
  if (refusal === 'conflicted') {
    return `CouchDB at ${url} refuses ${who} because its _users document has conflicting revisions (${describeResponse(response)}): ` +
      'CouchDB authenticates nobody with a conflicted user document, whatever the password, and counts no lockout failure for it ' +
      '(racing writes on a cluster leave a document so). Bootstrap\'s app-user step repairs the app user\'s document (run it again); ' +
      `by hand: GET /_users/org.couchdb.user:${name}?conflicts=true, keep one revision and DELETE ?rev= each of the others.`
  }
  return `CouchDB at ${url} has locked ${who} out of this address after repeated failed authentications ` +
    `(${describeResponse(response)}): it refuses every attempt, the right password included, for up to ` +
    '[chttpd_auth_lockout] max_lifetime (5 min by default) after the first failure. Fix the password and wait, ' +
    'or re-set the password in CouchDB, which unlocks it at once.'
}

/**
 * Wraps a client so that a refused set of credentials throws `CredentialsRefused`. `who` names the
 * user for messages (`COUCHDB_USERNAME "admin"`). Anonymous requests are never refused this way.
 */
export function guardCredentials (couch: CouchClient, who: (name: string) => string): CouchClient {
  return {
    url: couch.url,
    async request (method, path, options) {
      const response = await couch.request(method, path, options)
      if (options.auth === 'anonymous') return response
      const refusal = refusalOf(response)
      if (refusal === undefined) return response
      throw new CredentialsRefused(refusal, options.auth.name, refusalMessage(refusal, couch.url, { name: options.auth.name, who: who(options.auth.name) }, response))
    }
  }
}
