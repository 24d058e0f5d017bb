// The CouchDB store's request machinery: every call gets its own deadline, passes the circuit
// breaker (circuit-breaker.ts) and the credentials (couch-auth.ts), and fails as a StoreError
// (couch-errors.ts). The HTTP itself, keep-alive connections and the session cookie included, is
// couch-http.ts.
import type { CouchConnection } from '../config.js'
import { COUCH_BREAKER, createCircuitBreaker, type BreakerPolicy, type CallOutcome } from './circuit-breaker.js'
import { createCouchAuth } from './couch-auth.js'
import { createCouchHttp, type CouchHttpAnswer } from './couch-http.js'
import { NOT_MODIFIED } from './document-backend.js'
import { translateCouchError } from './couch-errors.js'
import { watchSecretFile, type SecretFileOptions } from '../secret-file.js'
import { StoreError } from './store-error.js'

export interface CouchRequest {
  method?: 'GET' | 'PUT' | 'DELETE' | 'POST'
  /** Default: the store's database. */
  db?: string
  /** Already percent-encoded, relative to `db`. */
  path?: string
  qs?: Record<string, unknown>
  body?: unknown
  /** An ETag (a document's is its revision, quoted): a 304 comes back as NOT_MODIFIED. */
  ifNoneMatch?: string
  /** Gives the call up (a longpoll nobody waits for any more); not counted by the breaker. */
  signal?: AbortSignal
}

export interface CouchTransport {
  /** A 2xx answer whose body `accept` takes (NOT_MODIFIED for a 304 to `ifNoneMatch`), with its status. */
  call<T> (request: CouchRequest, accept: (body: unknown) => body is T, timeoutMs?: number): Promise<{ status: number, body: T }>
  /** The deadline of a readiness check and of the breaker's probe. */
  readonly checkTimeoutMs: number
  /** Stops watching the password file. */
  close (): void
}

/**
 * A readiness check waits at most this long (or the call timeout, if shorter): the deployment's
 * probe gives up after 2 s (Kubernetes' default is 1 s), and one that waited the full call
 * timeout would keep a replica whose CouchDB hangs "ready" while every request fails.
 */
export const CHECK_TIMEOUT_MS = 1000

/** What the store tells about its credentials (a log line and a counter in /metrics; never the value). */
export interface CredentialHooks {
  /** The mounted password file changed; the new text, so loggers can scrub it. */
  onPasswordRead?: (password: string) => void
  /** CouchDB accepted the new password: a new session (cookie), or from now on with every request (basic). */
  onRotated?: (how: 'cookie' | 'basic') => void
}

export interface CouchTransportOptions {
  breaker?: BreakerPolicy
  now?: () => number
  credentials?: CredentialHooks
  /** How `couch.passwordFile` is watched (tests poll faster). */
  passwordFile?: SecretFileOptions
}

export function createCouchTransport (couch: CouchConnection, { breaker: policy = COUCH_BREAKER, now = Date.now, credentials = {}, passwordFile }: CouchTransportOptions = {}): CouchTransport {
  // Read on every request (Basic lives here).
  const headers: Record<string, string> = {}
  const http = createCouchHttp(couch.url, headers, now)
  const context = { database: couch.database, username: couch.username }
  const checkTimeoutMs = Math.min(couch.requestTimeoutMs, CHECK_TIMEOUT_MS)
  const breaker = createCircuitBreaker(policy, now)
  const deadline = new Error('deadline')
  const givenUp = new Error('circuit breaker opened')
  const cancelled = new Error('given up by the caller')
  const waiting = new Set<AbortController>()
  // Calls still waiting on a CouchDB that stopped answering would each wait out their deadline
  // (a patient read four of them): they are given up at once, as ambiguous as a timeout.
  breaker.onOpen(() => { for (const controller of waiting) controller.abort(givenUp) })
  /** `ambiguous` for a call given up on the way (it may have been stored), not for one never sent. */
  const stoppedAnswering = (ambiguous: boolean): StoreError => new StoreError('unavailable', `CouchDB stopped answering: ${policy.threshold} calls in a row got no answer in time, so calls fail at once; one call every ${policy.coolDownMs / 1000} s checks whether it is back.`, { ambiguous })

  async function exchange ({ signal, ...request }: CouchRequest, timeoutMs: number, settle: (outcome: CallOutcome) => void): Promise<CouchHttpAnswer> {
    // Not AbortSignal.timeout(): its timer keeps the signal, and through fetch's listener the
    // whole request, alive until it fires — at thousands of calls a second that held 140 MB.
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(deadline), timeoutMs)
    const cancel = (): void => { controller.abort(cancelled) }
    signal?.addEventListener('abort', cancel, { once: true })
    waiting.add(controller)
    let outcome: CallOutcome = 'answered'
    try {
      if (signal?.aborted === true) cancel()
      // `db` is percent-encoded by couch-http.ts; `path` is ours, so an id can never become a path.
      return await http.send({ db: couch.database, ...request, signal: controller.signal })
    } catch (error) {
      if (controller.signal.reason === cancelled) {
        // Our own choice, not CouchDB's silence: 'unreachable' is what the breaker ignores.
        outcome = 'unreachable'
        throw new StoreError('unavailable', 'The call to CouchDB was given up.')
      }
      if (controller.signal.aborted) {
        outcome = 'timed_out'
        throw controller.signal.reason === givenUp ? stoppedAnswering(true) : translateCouchError(error, context, timeoutMs)
      }
      if ((error as { statusCode?: number }).statusCode === undefined) outcome = 'unreachable'
      throw translateCouchError(error, context)
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', cancel)
      waiting.delete(controller)
      settle(outcome)
    }
  }

  /** Fails at once while the breaker is open; after the cool-down, one GET /db decides. */
  async function throughBreaker (): Promise<void> {
    const admission = breaker.admit()
    if (admission === 'pass') return
    if (admission === 'probe') {
      // https://docs.couchdb.org/en/stable/api/database/common.html#get--db: any answer, even a
      // 401, shows that CouchDB is back.
      await exchange({}, checkTimeoutMs, (outcome) => { breaker.settleProbe(outcome) }).catch(() => {})
      if (breaker.state === 'closed') return
    }
    throw stoppedAnswering(false)
  }

  const record = (outcome: CallOutcome): void => { breaker.record(outcome) }
  const auth = createCouchAuth({
    couch,
    headers,
    now,
    latestPassword: couch.passwordFile === undefined ? undefined : () => secret?.read(),
    onRotated: credentials.onRotated,
    logIn: async (how, password, timeoutMs) => await exchange(how === 'cookie'
      ? { method: 'POST', db: '_session', body: { name: couch.username, password } }
      : { db: '_session' }, timeoutMs, record)
  })
  // The Secret's file, watched when the password came from one (COUCHDB_PASSWORD_FILE).
  const secret = couch.passwordFile === undefined || couch.username === undefined
    ? undefined
    : watchSecretFile(couch.passwordFile, couch.password, (password) => {
      credentials.onPasswordRead?.(password)
      auth.offer(password)
    }, passwordFile)

  return {
    checkTimeoutMs,
    close: () => {
      secret?.close()
      http.close().catch(() => {})
    },
    async call (request, accept, timeoutMs = couch.requestTimeoutMs) {
      await throughBreaker()
      const { status, body: parsed } = await auth.authorized(async () => await exchange(request, timeoutMs, record), Math.min(timeoutMs, couch.requestTimeoutMs))
      const body = status === 304 ? NOT_MODIFIED : parsed
      // A 2xx body that cannot be parsed (cut off by the deadline or a proxy) comes as ''.
      if (!accept(body)) {
        throw new StoreError('unavailable', `CouchDB sent an incomplete or unexpected answer (calls time out after ${couch.requestTimeoutMs} ms).`, { ambiguous: true })
      }
      return { status, body }
    }
  }
}
