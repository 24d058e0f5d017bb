// How the CouchDB store proves who it is, and what it does when CouchDB says no.
// Cookie (the default): one POST /_session, then the AuthSession cookie on every request, so
// CouchDB does not run its password hash (pbkdf2, 600 000 rounds on 3.4) per request as it does
// for Basic. nano keeps the cookie in its jar and takes the fresh one CouchDB sends once 10 % of
// the session's life has passed (couch_httpd_auth.erl `cookie_auth_header`), so a busy store
// does not log in again every 10 minutes. A cookie CouchDB stops taking (idle past its timeout,
// a restart with a new secret) answers 401 and is renewed once, one login for all callers.
// `basic` sends the password on every request, once one GET /_session has shown that it works.
// Either way the credentials are checked by one call at a time until CouchDB accepts them, and
// a refusal is retried only through the backoff (auth-backoff.ts): CouchDB 3.4 locks out
// repeated failures, and a burst of requests with a wrong password would be one in itself.
import type { CouchConnection } from '../config.js'
import { createAuthBackoff } from './auth-backoff.js'
import { isRefusal, type CouchRefusal } from './couch-errors.js'

export interface CouchAuth {
  /** Runs `send` (one request) with the credentials, checking them first when needed. */
  authorized<T> (send: () => Promise<T>, timeoutMs: number): Promise<T>
}

export interface CouchAuthOptions {
  couch: CouchConnection
  /** nano's headers object, which it reads on every request. */
  headers: Record<string, string>
  /**
   * One request that checks the credentials: POST /_session for a cookie (nano's jar keeps it),
   * GET /_session with Basic (https://docs.couchdb.org/en/stable/api/server/authn.html).
   */
  logIn: (how: 'cookie' | 'basic', timeoutMs: number) => Promise<unknown>
  now?: () => number
}

type Mode = 'anonymous' | 'basic' | 'cookie'

export function createCouchAuth ({ couch, headers, logIn, now }: CouchAuthOptions): CouchAuth {
  const backoff = createAuthBackoff<CouchRefusal>({ now })
  const basic = `Basic ${Buffer.from(`${couch.username ?? ''}:${couch.password ?? ''}`).toString('base64')}`
  // `verified`: the credentials were accepted (and, for a cookie, the session is in the jar).
  const state: { mode: Mode, verified?: Promise<unknown> } = {
    mode: couch.username === undefined ? 'anonymous' : couch.auth === 'basic' ? 'basic' : 'cookie'
  }
  if (state.mode === 'basic') headers.Authorization = basic

  /** Verifies once for all concurrent callers; `stale` is the verification a caller saw refused. */
  async function verify (timeoutMs: number, stale?: Promise<unknown>): Promise<void> {
    if (state.verified === undefined || state.verified === stale) {
      const attempt = checkedByCouch(async () => await logIn(state.mode === 'basic' ? 'basic' : 'cookie', timeoutMs))
      state.verified = attempt
      attempt.catch(() => { if (state.verified === attempt) state.verified = undefined })
    }
    await state.verified
  }

  /** One password check by CouchDB, let through by the backoff. */
  async function checkedByCouch<T> (attempt: () => Promise<T>): Promise<T> {
    const refusal = backoff.admit()
    if (refusal !== undefined) throw refusal
    try {
      const result = await attempt()
      backoff.accepted()
      return result
    } catch (error) {
      if (isRefusal(error, 'rejected', 'locked')) {
        backoff.rejected(error)
      } else {
        backoff.released()
      }
      throw error
    }
  }

  /** A Basic request refused: the password stopped working, so it is verified again, after the pause. */
  function basicRefused (error: unknown, used: Promise<unknown> | undefined): void {
    if (!isRefusal(error, 'rejected', 'locked')) return
    backoff.rejected(error)
    if (state.verified === used) state.verified = undefined
  }

  const mode = (): Mode => state.mode

  return {
    async authorized (send, timeoutMs) {
      if (state.mode === 'anonymous') return await send()
      await verify(timeoutMs)
      const used = state.verified
      try {
        return await send()
      } catch (error) {
        if (mode() === 'basic') basicRefused(error, used)
        if (mode() === 'basic' || !isRefusal(error, 'anonymous')) throw error
      }
      await verify(timeoutMs, used)
      try {
        return await send()
      } catch (error) {
        if (mode() === 'basic') basicRefused(error, used)
        if (mode() === 'basic' || !isRefusal(error, 'anonymous')) throw error
      }
      // CouchDB took the password but not the cookie it gave for it (a proxy that drops
      // cookies, the cookie handler turned off): Basic still works, at its price.
      state.mode = 'basic'
      headers.Authorization = basic
      try {
        return await send()
      } catch (error) {
        basicRefused(error, state.verified)
        throw error
      }
    }
  }
}
