// The auth backoff (auth-backoff.ts) kept per password, for a store whose password can be rotated
// (couch-auth.ts). A new password is a new check, not a retry of the refused one; going back and
// forth between two refused ones still waits out each one's pause. A password that worked and is
// then refused while its Secret is watched was most likely changed in CouchDB ahead of the file
// (the rotation runbook's steps swapped): it is tried again slowly (ROTATED_RETRY), so that
// waiting for the kubelet (about a minute) costs 3 failed checks, not the lockout's 5 — which
// would lock the new password out too, as the lockout key carries the salt CouchDB stores, the
// new password's (couch_auth_lockout.erl; docs/bootstrap.md, "Auth lockout").
import { createAuthBackoff, type AuthBackoff, type AuthRetryPolicy } from './auth-backoff.js'

/** The pause after a password that worked is refused while its Secret is watched: 20 s, 40 s, then every minute. */
export const ROTATED_RETRY: AuthRetryPolicy = { firstMs: 20_000, maxMs: 60_000 }

export interface PasswordBackoffs<Refusal> {
  of (password: string): AuthBackoff<Refusal>
  /** CouchDB refused `password`; `workedBefore`: it had accepted it, and a Secret file is watched. */
  rejected (password: string, refusal: Refusal, workedBefore: boolean): void
  /** A refusal of the one in use is news (CouchDB changed): the newer password's earlier pause is over. */
  forget (password: string): void
}

export function createPasswordBackoffs<Refusal> (now?: () => number): PasswordBackoffs<Refusal> {
  const backoffs = new Map<string, AuthBackoff<Refusal>>()
  const slowed = new Set<string>()
  const of = (password: string): AuthBackoff<Refusal> => {
    let backoff = backoffs.get(password)
    if (backoff === undefined) backoffs.set(password, backoff = createAuthBackoff<Refusal>({ now }))
    return backoff
  }
  return {
    of,
    rejected (password, refusal, workedBefore) {
      let backoff = of(password)
      if (workedBefore && !slowed.has(password)) {
        slowed.add(password)
        backoffs.set(password, backoff = createAuthBackoff<Refusal>({ policy: ROTATED_RETRY, now }))
      }
      backoff.rejected(refusal)
    },
    forget (password) { backoffs.delete(password) }
  }
}
