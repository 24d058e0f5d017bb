// `X-Request-Id`: one id per request, in every log line Fastify writes for it (its `reqId`) and
// echoed on the answer, so a client's report, an ingress's access log and ours meet. An id the
// client (or a proxy in front) sent is kept when it is printable and short; anything else is
// replaced, so a log line never carries a megabyte or a control character someone sent.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'

export const REQUEST_ID_HEADER = 'x-request-id'

/** Visible ASCII only (no spaces, quotes or control characters), at most 200 of them. */
const ACCEPTED = /^[\x21-\x7e]{1,200}$/

/** Fastify's `genReqId`: the client's id when acceptable, else a fresh UUID. */
export function requestIdOf (request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER]
  return typeof sent === 'string' && ACCEPTED.test(sent) ? sent : randomUUID()
}

export function echoRequestId (fastify: FastifyInstance): void {
  // A callback hook (not async), like the security headers': it runs on every request. Set
  // here, the header goes with every answer, errors and the change stream's included.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    done()
  })
}
