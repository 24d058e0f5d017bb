// After CouchDB refuses this service's credentials, they are not tried again on every request.
// CouchDB 3.4 counts every failed password check (Basic or POST /_session alike) per {client IP,
// user, salt} and, after [chttpd_auth_lockout] threshold (5) of them, refuses that key with a 403
// for up to max_lifetime (5 minutes), the right password included (src/couch/src/
// couch_auth_lockout.erl, couch_httpd_auth.erl `authenticate`). Re-logging in per request would
// lock the service's own address out within a second. So after a refusal one attempt is let
// through after a pause (1 s, doubling up to 15 s), and every other caller fails at once with
// that refusal: a wrong password costs 4 failed checks in the first 10 s, then 4 a minute, and a
// password that works again is noticed within 15 s. No jitter: replicas have addresses (lockout
// keys) of their own, and a few checks a minute from each is no load to spread.

export interface AuthRetryPolicy {
  firstMs: number
  maxMs: number
}

export const AUTH_RETRY: AuthRetryPolicy = { firstMs: 1000, maxMs: 15_000 }

export interface AuthBackoff<Refusal> {
  /** undefined: go ahead (as the one attempt, after a refusal); else the refusal to fail with now. */
  admit (): Refusal | undefined
  /** CouchDB refused the credentials (401, or the lockout 403). */
  rejected (refusal: Refusal): void
  /** CouchDB accepted them. */
  accepted (): void
  /** The attempt ended without a verdict (a timeout, a 5xx): the next caller may try. */
  released (): void
}

export interface AuthBackoffOptions {
  policy?: AuthRetryPolicy
  now?: () => number
}

export function createAuthBackoff<Refusal> ({ policy = AUTH_RETRY, now = Date.now }: AuthBackoffOptions = {}): AuthBackoff<Refusal> {
  let refusal: Refusal | undefined
  let refusals = 0
  let retryAt = 0
  let attempting = false
  return {
    admit () {
      if (refusal === undefined) return undefined
      if (attempting || now() < retryAt) return refusal
      attempting = true
      return undefined
    },
    // After a refusal only the attempt decides: a call that set out before it proves nothing.
    rejected (next) {
      if (refusal !== undefined && !attempting) return
      refusal = next
      refusals++
      retryAt = now() + Math.min(policy.maxMs, policy.firstMs * 2 ** Math.min(refusals - 1, 30))
      attempting = false
    },
    accepted () {
      if (refusal !== undefined && !attempting) return
      refusal = undefined
      refusals = 0
      attempting = false
    },
    released () { attempting = false }
  }
}
