// How the CouchDB store proves who it is, and what it does when CouchDB says no.
// Cookie (the default): one POST /_session, then the AuthSession cookie on every request, so
// CouchDB does not run its password hash (pbkdf2, 600 000 rounds on 3.4) per request as it does
// for Basic. couch-http.ts keeps the cookie and takes the fresh one CouchDB sends once 10 % of
// the session's life has passed (couch_httpd_auth.erl `cookie_auth_header`), so a busy store
// does not log in again every 10 minutes. A cookie CouchDB stops taking (idle past its timeout,
// a restart with a new secret) answers 401 and is renewed once, one login for all callers.
// `basic` sends the password on every request, once one GET /_session has shown that it works.
// Either way the credentials are checked by one call at a time until CouchDB accepts them, and
// a refusal is retried only through the backoff (password-backoffs.ts): CouchDB 3.4 locks out
// repeated failures, and a burst of requests with a wrong password would be one in itself.
//
// A rotated password (docs/kubernetes.md, "Rotating the app user's password"): the Secret's file
// changes first (`offer`) and is held until CouchDB refuses the current password, as trying one
// CouchDB does not hold yet would be a failed check toward the lockout. The PUT that changes it
// voids every cookie at once (the HMAC key is secret + the user's salt: couch_httpd_auth.erl
// `cookie_authentication_handler`), so the next request is anonymous, which counts no failure, and
// switches; with Basic each request in flight is one failed check. A refused request was not
// carried out, so it is sent once more with the new password. (Over 200 lines: one state machine,
// the session, the password in use and the Secret's newer one, whose parts share that state.)
import type { CouchConnection } from '../config.js'
import { createPasswordBackoffs } from './password-backoffs.js'
import { isRefusal, type CouchRefusal } from './couch-errors.js'

export interface CouchAuth {
  /** Runs `send` (one request) with the credentials, checking them first when needed. */
  authorized<T> (send: () => Promise<T>, timeoutMs: number): Promise<T>
  /** A new password from the mounted Secret: used from CouchDB's next refusal of the current one. */
  offer (password: string): void
}

export interface CouchAuthOptions {
  couch: CouchConnection
  /** The headers couch-http.ts sends with every request. */
  headers: Record<string, string>
  /**
   * One request that checks the credentials: POST /_session for a cookie (couch-http.ts keeps it),
   * GET /_session with Basic (https://docs.couchdb.org/en/stable/api/server/authn.html).
   */
  logIn: (how: 'cookie' | 'basic', password: string, timeoutMs: number) => Promise<unknown>
  /** The mounted password as it is now (a refusal may come before the watcher saw the file change). */
  latestPassword?: () => string | undefined
  /** CouchDB accepted a password other than the one the store started with or used last. */
  onRotated?: (how: 'cookie' | 'basic') => void
  now?: () => number
}

type Mode = 'anonymous' | 'basic' | 'cookie'

export function createCouchAuth ({ couch, headers, logIn, latestPassword, onRotated, now }: CouchAuthOptions): CouchAuth {
  const basicOf = (password: string): string => `Basic ${Buffer.from(`${couch.username ?? ''}:${password}`).toString('base64')}`
  // `verified`: the credentials were accepted (and, for a cookie, the session is in the jar).
  // `password`: the one sent; `accepted`: the last one CouchDB took; `offered`: the Secret's newer one.
  // `refused`: the last check of `password` was refused.
  const state: { mode: Mode, verified?: Promise<unknown>, password: string, accepted?: string, offered?: string, refused: boolean } = {
    mode: couch.username === undefined ? 'anonymous' : couch.auth === 'basic' ? 'basic' : 'cookie',
    password: couch.password ?? '',
    refused: false
  }
  const backoffs = createPasswordBackoffs<CouchRefusal>(now)
  if (state.mode === 'basic') headers.Authorization = basicOf(state.password)

  /** Sends `password` from now on. */
  function use (password: string): void {
    state.password = password
    state.refused = false
    if (state.mode === 'basic') headers.Authorization = basicOf(password)
  }

  /** The Secret's password when it differs from the one sent (taken: offered once). */
  function newer (): string | undefined {
    const next = state.offered ?? latestPassword?.()
    state.offered = undefined
    return next === state.password ? undefined : next
  }

  /**
   * After a refused request: switches to the Secret's newer password, if there is one; true when
   * it did. The refusal is news (CouchDB changed), so an earlier pause of that password is over.
   */
  function switchToNewer (): boolean {
    const next = newer()
    if (next === undefined) return false
    backoffs.forget(next)
    use(next)
    state.verified = undefined
    return true
  }

  function acceptedPassword (password: string): void {
    if (state.accepted === password) return
    const rotated = state.accepted !== undefined || password !== (couch.password ?? '')
    state.accepted = password
    if (rotated && state.mode !== 'anonymous') onRotated?.(state.mode)
  }

  /** Verifies once for all concurrent callers; `stale` is the verification a caller saw refused. */
  async function verify (timeoutMs: number, stale?: Promise<unknown>): Promise<void> {
    if (state.verified === undefined || state.verified === stale) {
      const password = state.password
      const attempt = checkedByCouch(password, async () => await logIn(state.mode === 'basic' ? 'basic' : 'cookie', password, timeoutMs))
        .then(() => { acceptedPassword(password) }, async (error: unknown) => { await loggedInOtherwise(error, password, timeoutMs) })
      state.verified = attempt
      attempt.catch(() => { if (state.verified === attempt) state.verified = undefined })
    }
    await state.verified
  }

  /**
   * A login refused: once more with the other password at hand, if any. The Secret's newer one
   * first (CouchDB changed before the request that would have told us); else, when the refused
   * one is that newer password (CouchDB does not hold it yet, and the session merely expired),
   * back to the one CouchDB took last, the newer one kept for the next refusal.
   */
  async function loggedInOtherwise (error: unknown, refused: string, timeoutMs: number): Promise<void> {
    if (!isRefusal(error, 'rejected') || state.password !== refused) throw error
    const next = newer()
    const other = next ?? (state.accepted !== refused ? state.accepted : undefined)
    if (other === undefined) throw error
    use(other)
    if (next === undefined) state.offered = refused
    await checkedByCouch(other, async () => await logIn(state.mode === 'basic' ? 'basic' : 'cookie', other, timeoutMs))
    acceptedPassword(other)
  }

  /** CouchDB refused `password`: its pause starts (a slow one for a password that worked; password-backoffs.ts). */
  function refused (password: string, refusal: CouchRefusal): void {
    backoffs.rejected(password, refusal, password === state.accepted && latestPassword !== undefined)
    if (password === state.password) state.refused = true
  }

  /** One check of `password` by CouchDB, let through by its backoff. */
  async function checkedByCouch<T> (password: string, attempt: () => Promise<T>): Promise<T> {
    const gate = backoffs.of(password)
    const refusal = gate.admit()
    if (refusal !== undefined) throw refusal
    try {
      const result = await attempt()
      gate.accepted()
      if (password === state.password) state.refused = false
      return result
    } catch (error) {
      if (isRefusal(error, 'rejected', 'locked')) {
        refused(password, error)
      } else {
        gate.released()
      }
      throw error
    }
  }

  /**
   * A Basic request refused. True when it is worth sending again: the password changed since it
   * was sent, or the Secret holds a newer one. Otherwise the password stopped working, so it is
   * verified again, after the pause.
   */
  function basicRefused (error: unknown, used: Promise<unknown> | undefined, sentWith: string): boolean {
    if (!isRefusal(error, 'rejected', 'locked')) return false
    if (sentWith !== state.password || switchToNewer()) return true
    refused(sentWith, error)
    if (state.verified === used) state.verified = undefined
    return false
  }

  const mode = (): Mode => state.mode

  return {
    offer (password) {
      state.offered = password === state.password ? undefined : password
      // Refused already (the password changed in CouchDB before the Secret reached this pod):
      // no refusal is coming to switch on, so the next call logs in with the new one at once.
      if (state.refused) switchToNewer()
    },
    async authorized (send, timeoutMs) {
      if (state.mode === 'anonymous') return await send()
      await verify(timeoutMs)
      let used = state.verified
      let sentWith = state.password
      try {
        return await send()
      } catch (error) {
        if (mode() === 'basic' ? !basicRefused(error, used, sentWith) : !isRefusal(error, 'anonymous')) throw error
      }
      // The cookie is no longer taken (expired, or voided by a new password's new salt), or the
      // Basic password was refused with a newer one at hand: one login, then the request again.
      if (mode() === 'cookie') switchToNewer()
      await verify(timeoutMs, used)
      used = state.verified
      sentWith = state.password
      try {
        return await send()
      } catch (error) {
        if (mode() === 'basic') basicRefused(error, used, sentWith)
        if (mode() === 'basic' || !isRefusal(error, 'anonymous')) throw error
      }
      // CouchDB took the password but not the cookie it gave for it (a proxy that drops
      // cookies, the cookie handler turned off): Basic still works, at its price.
      state.mode = 'basic'
      headers.Authorization = basicOf(state.password)
      try {
        return await send()
      } catch (error) {
        basicRefused(error, state.verified, state.password)
        throw error
      }
    }
  }
}
