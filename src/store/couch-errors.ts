// CouchDB's answers as StoreErrors, with messages written here: an HTTP client's errors may carry
// the request URL and headers, so none of their text is passed on. Refusals of this service's
// credentials are told apart, because each calls for something else from the store and from an
// operator (https://docs.couchdb.org/en/stable/api/basics.html#http-status-codes, and the
// recordings of CouchDB 3.4.3 in shared/reference/couchdb-3.4/auth-*.json).
import { documentAnswerError, StoreError } from './store-error.js'

/** What the messages may name: never the password. */
export interface CouchContext {
  database: string
  username?: string
}

/**
 * Why CouchDB said 401/403:
 * - `rejected`: the password check failed (401 "Name or password is incorrect.");
 * - `locked`: auth lockout (403 "Account is temporarily locked…"), the password was not checked;
 * - `anonymous`: no credentials reached CouchDB (none configured, or a session it no longer takes);
 * - `forbidden`: the user is known but is not a member of the database.
 */
export type Refusal = 'rejected' | 'locked' | 'anonymous' | 'forbidden'

/** An `unauthorized` StoreError that knows which refusal it was. */
export class CouchRefusal extends StoreError {
  readonly refusal: Refusal
  constructor (refusal: Refusal, message: string) {
    super('unauthorized', message)
    this.refusal = refusal
  }
}

export function isRefusal (error: unknown, ...refusals: Refusal[]): error is CouchRefusal {
  return error instanceof CouchRefusal && refusals.includes(error.refusal)
}

/** Where an operator finds the lockout's duration (couch_auth_lockout.erl, default.ini). */
const LOCKOUT_CONFIG = '[chttpd_auth_lockout] max_lifetime (5 minutes by default)'
const RETRY_NOTE = 'overmind tries again after a pause of up to 15 s and recovers by itself once CouchDB accepts the credentials.'

function refusal (statusCode: number, reason: unknown, { database, username }: CouchContext): CouchRefusal {
  const user = `COUCHDB_USERNAME ${JSON.stringify(username ?? '')}`
  if (statusCode === 403 && typeof reason === 'string' && reason.startsWith('Account is temporarily locked')) {
    return new CouchRefusal('locked', `CouchDB locked ${user} out of this address after repeated failed logins (403): it refuses that user from here, even with the right password, for up to ${LOCKOUT_CONFIG} after the first failure, or until the user's password is set again in CouchDB. Check COUCHDB_PASSWORD; ${RETRY_NOTE}`)
  }
  if (statusCode === 401 && reason === 'Name or password is incorrect.') {
    return new CouchRefusal('rejected', `CouchDB rejected the credentials of ${user} (401, name or password incorrect): set COUCHDB_PASSWORD (or COUCHDB_PASSWORD_FILE) to that user's password; ${RETRY_NOTE}`)
  }
  if (statusCode === 401) {
    return username === undefined
      ? new CouchRefusal('anonymous', `CouchDB refused anonymous access to the database "${database}" (401): set COUCHDB_USERNAME and COUCHDB_PASSWORD.`)
      : new CouchRefusal('anonymous', `CouchDB did not accept the session of ${user} for the database "${database}" (401).`)
  }
  return new CouchRefusal('forbidden', `CouchDB does not let ${user} use the database "${database}" (403): make the user a member of it (\`overmind bootstrap app-user\` does) or run as another user.`)
}

/**
 * CouchDB's answers as StoreError kinds. `timedOutAfterMs` is set when our own deadline cut the
 * call short.
 */
export function translateCouchError (error: unknown, context: CouchContext, timedOutAfterMs?: number): StoreError {
  const { statusCode, error: code, reason } = error as { statusCode?: number, error?: string, reason?: string }
  if (timedOutAfterMs !== undefined) {
    return new StoreError('unavailable', `CouchDB did not answer within ${timedOutAfterMs} ms.`, { ambiguous: true })
  }
  if (statusCode === undefined) {
    // No answer (undici's error, its code naming the cause): a connection that was never made
    // sent nothing; any other broken connection may have.
    return new StoreError('unavailable', 'CouchDB cannot be reached (the connection failed or was closed).', { ambiguous: !neverConnected(error) })
  }
  // 3.x says "Database does not exist.", 1.x says "no_db_file"; a missing doc says missing/deleted.
  if (statusCode === 404 && (reason === 'Database does not exist.' || reason === 'no_db_file')) {
    return new StoreError('missing_database', `The CouchDB database "${context.database}" does not exist: run \`overmind bootstrap\` to create it.`)
  }
  // A `since` CouchDB cannot decode (shared/reference/couchdb-3.4/changes.json): the client's.
  if (statusCode === 400 && reason === "Malformed sequence supplied in 'since' parameter.") {
    return new StoreError('invalid_cursor', 'CouchDB does not know the changes feed position it was given.')
  }
  const answer = documentAnswerError(statusCode)
  if (answer !== undefined) return answer
  if (statusCode === 401 || statusCode === 403) return refusal(statusCode, reason, context)
  const what = typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? ` ${code}` : ''
  return new StoreError('unavailable', `CouchDB answered ${statusCode}${what}.`)
}

/** True when the error says the connection was never made (so nothing was sent). */
function neverConnected (error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown, message?: unknown }
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(`${String(code)} ${String(message)}`)
}
