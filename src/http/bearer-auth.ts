// `Authorization: Bearer <token>` (RFC 6750) for the operator's drain switch and, when configured,
// for every write. A missing or wrong token is a 401 with `WWW-Authenticate: Bearer`; the answer
// and the log line say which token is wanted, never what was sent. The header itself is never
// logged: Fastify's request serializer leaves headers out, and server.ts redacts the path anyway.
import type { FastifyRequest } from 'fastify'
import type { BearerToken } from '../token-file.js'
import { ApiError } from './api-error.js'

const BEARER = /^Bearer +(\S+) *$/i

/** Throws a 401 unless the request carries `token`; `what` names it for the reason ("the admin token"). */
export function checkBearer (request: FastifyRequest, token: BearerToken, what: string): void {
  const presented = BEARER.exec(request.headers.authorization ?? '')?.[1]
  if (presented !== undefined && token.matches(presented)) return
  // RFC 6750 §3: `error="invalid_token"` only when a token was sent.
  const challenge = presented === undefined ? 'Bearer realm="overmind"' : 'Bearer realm="overmind", error="invalid_token"'
  const reason = presented === undefined
    ? `This needs \`Authorization: Bearer <token>\` with ${what}.`
    : `The bearer token sent is not ${what}.`
  throw new ApiError(401, 'unauthorized', reason, { 'www-authenticate': challenge })
}
