// Security headers on every answer, as helmet's defaults define them. Helmet is Express
// middleware that recomputes the same headers on every request, which cost more than half of a
// GET's throughput here (17.7k vs 39.6k req/s in a profile); with no per-request option in use
// (no CSP nonces) its output never changes, so it is computed once and set as it is.
import type { FastifyInstance } from 'fastify'
import helmet from 'helmet'

/**
 * `hstsMaxAgeSeconds` undefined = no Strict-Transport-Security: over the seed's plain-HTTP
 * NodePort it means nothing, and behind an HTTPS ingress a year-long policy for the host and all
 * its subdomains is the platform's decision, not a demo service's.
 */
export function securityHeaders (hstsMaxAgeSeconds?: number): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader: (name: string, value: string) => { headers[name.toLowerCase()] = value },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()] }
  }
  let done = false
  // No upgrade-insecure-requests: overmind is often reached over plain HTTP (a NodePort, as in
  // the seed), where it would send the /docs page's own scripts to an https:// that isn't there.
  const strictTransportSecurity = hstsMaxAgeSeconds === undefined ? false : { maxAge: hstsMaxAgeSeconds, includeSubDomains: false }
  helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } }, strictTransportSecurity })({} as never, response as never, () => { done = true })
  // Helmet calls back synchronously; if a later version did not, the headers could be partial.
  if (!done) throw new Error('helmet did not finish synchronously; security headers would be incomplete')
  return headers
}

export function addSecurityHeaders (fastify: FastifyInstance, hstsMaxAgeSeconds?: number): void {
  const headers = securityHeaders(hstsMaxAgeSeconds)
  // Per-request hooks here are callback hooks, not async ones: an async hook costs a promise and
  // a turn of the microtask queue on every request (bench/NOTES.md, "Lean GET").
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}
