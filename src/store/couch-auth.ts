// How the CouchDB store proves who it is, and what it does when CouchDB says no.
// Cookie (the default): one POST /_session, then the AuthSession cookie on every request, so
// CouchDB does not run its password hash (pbkdf2, 600 000 rounds on 3.4) per request as it does
// for Basic. nano keeps the cookie in its jar and takes the fresh one CouchDB sends once 10 % of
// the session's life has passed (couch_httpd_auth.erl `cookie_auth_header`), so a busy store
// does not log in again every 10 minutes. A cookie CouchDB stops taking (idle past its timeout,
// a restart with a new secret) answers 401 and is renewed once, one login for all callers.
// `basic` sends the password on every request. Either way a refused password is retried only
// through the backoff (auth-backoff.ts), because CouchDB 3.4 locks out repeated failures.
import type { CouchConnection } from '../config.js'
import { createAuthBackoff } from './auth-backoff.js'
import { isRefusal, type CouchRefusal } from './couch-errors.js'
import { isStoreError } from './store-error.js'

export interface CouchAuth {
  /** Runs `send` (one request) with the credentials, logging in first when needed. */
  authorized<T> (send: () => Promise<T>, timeoutMs: number): Promise<T>
}

export interface CouchAuthOptions {
  couch: CouchConnection
  /** nano's headers object, which it reads on every request. */
  headers: Record<string, string>
  /** POST /_session (https://docs.couchdb.org/en/stable/api/server/authn.html#post--_session); nano's jar keeps the cookie. */
  login: (timeoutMs: number) => Promise<unknown>
  now?: () => number
}

type Mode = 'anonymous' | 'basic' | 'cookie'

export function createCouchAuth ({ couch, headers, login, now }: CouchAuthOptions): CouchAuth {
  const backoff = createAuthBackoff<CouchRefusal>({ now })
  const basic = `Basic ${Buffer.from(`${couch.username ?? ''}:${couch.password ?? ''}`).toString('base64')}`
  const state: { mode: Mode, session?: Promise<unknown> } = {
    mode: couch.username === undefined ? 'anonymous' : couch.auth === 'basic' ? 'basic' : 'cookie'
  }
  if (state.mode === 'basic') headers.Authorization = basic

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
      } else if (isStoreError(error, 'unavailable') || isRefusal(error, 'anonymous')) {
        backoff.released()
      } else {
        // A 404, a 409, "not a member": CouchDB got past the password.
        backoff.accepted()
      }
      throw error
    }
  }

  /** Logs in once for all concurrent callers; `stale` is the session a caller saw refused. */
  async function ensureSession (timeoutMs: number, stale?: Promise<unknown>): Promise<void> {
    if (state.session === undefined || state.session === stale) {
      const attempt = checkedByCouch(async () => await login(timeoutMs))
      state.session = attempt
      attempt.catch(() => { if (state.session === attempt) state.session = undefined })
    }
    await state.session
  }

  const isCookieMode = (): boolean => state.mode === 'cookie'

  return {
    async authorized (send, timeoutMs) {
      if (state.mode === 'anonymous') return await send()
      if (state.mode === 'basic') return await checkedByCouch(send)
      await ensureSession(timeoutMs)
      const used = state.session
      try {
        return await send()
      } catch (error) {
        if (!isRefusal(error, 'anonymous')) throw error
      }
      await ensureSession(timeoutMs, used)
      try {
        return await send()
      } catch (error) {
        if (!isRefusal(error, 'anonymous') || !isCookieMode()) throw error
      }
      // CouchDB took the password but not the cookie it gave for it (a proxy that drops
      // cookies, the cookie handler turned off): Basic still works, at its price.
      state.mode = 'basic'
      headers.Authorization = basic
      return await checkedByCouch(send)
    }
  }
}
