// The sentinel password: every CouchDB the reliability suite starts has it as its admin password
// (a real CouchDB from COUCHDB_TEST_URL keeps its own, which is then watched instead). Every
// response body and header and every log line the suite produces is searched for it, and for the
// HTTP Basic token that carries it; each hit is counted in the ledger and kept for the assertion.
import { ledger } from './ledger.js'

export const SENTINEL_USER = 'admin'
export const SENTINEL_PASSWORD = 'sentinel-pw-4b1d-chaos-93f7'

const watched = new Set<string>()
/** Addresses clients must never see (logs may name them: operators need them). */
const internal = new Set<string>()
const hits: string[] = []

/** Watches `password` and the Basic token of `user:password` from now on. */
export function watchSecret (user: string, password: string): void {
  if (password.length < 4) throw new Error('a password this short would match by accident; use a longer test password')
  watched.add(password)
  watched.add(Buffer.from(`${user}:${password}`).toString('base64'))
  watched.add(encodeURIComponent(password))
}

/** Watches CouchDB's `host:port` in answers to clients. */
export function watchInternalAddress (url: string): void {
  internal.add(new URL(url).host)
}

/** Searches an answer to a client for secrets and internal addresses. */
export function scanAnswerForSecrets (where: string, text: string): void {
  scanForSecrets(where, text)
  for (const address of internal) {
    if (text.includes(address)) {
      hits.push(`${where} (CouchDB's address)`)
      ledger.add({ secretHits: 1 })
    }
  }
}

/** Searches `text`; `where` says what it was, for the failure message (never the text itself). */
export function scanForSecrets (where: string, text: string): void {
  for (const secret of watched) {
    if (text.includes(secret)) {
      hits.push(where)
      ledger.add({ secretHits: 1 })
    }
  }
}

/** Where secrets were found so far (descriptions only). */
export function secretHits (): readonly string[] {
  return hits
}

watchSecret(SENTINEL_USER, SENTINEL_PASSWORD)
