// One place maps every failure to a status and a `{"error","reason"}` body. Clients never see a
// stack trace, an internal URL or a credential: 5xx reasons are written here, not passed through.
import type { FastifyError, FastifyInstance } from 'fastify'
import { DomainError } from '../domain/domain-error.js'
import { StoreError, type StoreErrorKind } from '../store/store-error.js'
import { describeFailure } from '../store/store-failure.js'
import { ApiError, zerglingNotFound } from './api-error.js'
import { entityTag } from './entity-tags.js'

/** Seconds a client should wait before retrying when the brain is unreachable. */
export const RETRY_AFTER_SECONDS = 1

export interface ErrorResponse {
  statusCode: number
  /** `_rev`: a 412's current revision, for a client to read again or decide anew. */
  body: { error: string, reason: string, _rev?: string }
  headers: Record<string, string>
}

const UNAVAILABLE = { 'retry-after': String(RETRY_AFTER_SECONDS) }

const STORE_ERRORS: Record<StoreErrorKind, (error: StoreError) => ErrorResponse> = {
  not_found: () => fromApiError(zerglingNotFound()),
  invalid_cursor: () => ({ statusCode: 400, body: { error: 'invalid_cursor', reason: 'The cursor is not one this service handed out: pass back the `next` value of a previous page, unchanged.' }, headers: {} }),
  idempotency_key_reused: (error) => ({ statusCode: 422, body: { error: 'idempotency_key_reused', reason: error.message }, headers: {} }),
  // RFC 9110 §13.1.1: If-Match named revisions the zergling is not at. Its current one goes in
  // the body and as the ETag, so a client can read again (or decide anew) without guessing.
  precondition_failed: (error) => ({ statusCode: 412, body: { error: 'precondition_failed', reason: error.message, _rev: error.rev! }, headers: { etag: entityTag(error.rev!) } }),
  conflict: () => ({ statusCode: 503, body: { error: 'busy', reason: 'Too many commands reached this zergling at once; nothing was applied. Retry shortly.' }, headers: UNAVAILABLE }),
  // The one 503 after which something may have changed: the reason says so and how to settle it.
  outcome_unknown: (error) => ({ statusCode: 503, body: { error: 'outcome_unknown', reason: error.message }, headers: UNAVAILABLE }),
  // A store that knows why it failed says which store and what happened, from a fixed table
  // (src/store/store-failure.ts); damaged files are `brain_damaged`, as in /_health.
  unavailable: (error) => ({
    statusCode: 503,
    body: {
      error: error.failure?.cause === 'damaged' ? 'brain_damaged' : 'brain_unavailable',
      reason: describeFailure(error.failure ?? { store: 'couchdb', cause: 'io_error' })
    },
    headers: UNAVAILABLE
  }),
  // The store writes these messages for operators: what to run or fix, the user CouchDB refused
  // and why; never a URL or a password.
  missing_database: (error) => ({ statusCode: 503, body: { error: 'brain_damaged', reason: error.message }, headers: UNAVAILABLE }),
  unauthorized: (error) => ({ statusCode: 503, body: { error: 'brain_damaged', reason: error.message }, headers: UNAVAILABLE })
}

export function toErrorResponse (error: unknown): ErrorResponse {
  if (error instanceof ApiError) return fromApiError(error)
  if (error instanceof DomainError) return { statusCode: 400, body: { error: error.code, reason: error.message }, headers: {} }
  if (error instanceof StoreError) return STORE_ERRORS[error.kind](error)
  const fastifyError = error as Partial<FastifyError>
  if (fastifyError.validation !== undefined) {
    return { statusCode: 400, body: { error: 'bad_request', reason: `The request is not valid: ${fastifyError.message ?? 'see the API documentation at /docs'}.` }, headers: {} }
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { statusCode: 413, body: { error: 'too_large', reason: 'The request body is larger than this service accepts.' }, headers: {} }
  }
  const status = fastifyError.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    // Plugins' answers (the rate limit's) come in our own shape; Fastify's client errors (bad
    // content length, bad URL…) have safe messages.
    const { error: code, reason } = error as { error?: unknown, reason?: unknown }
    if (typeof code === 'string' && typeof reason === 'string') return { statusCode: status, body: { error: code, reason }, headers: {} }
    return { statusCode: status, body: { error: 'bad_request', reason: fastifyError.message ?? 'The request is not valid.' }, headers: {} }
  }
  return { statusCode: 500, body: { error: 'internal_error', reason: 'Something went wrong inside overmind; it has been logged.' }, headers: {} }
}

function fromApiError (error: ApiError): ErrorResponse {
  return { statusCode: error.statusCode, body: { error: error.error, reason: error.message }, headers: { ...error.headers } }
}

export function installErrorHandlers (fastify: FastifyInstance): void {
  fastify.setErrorHandler(function handleError (error, request, reply) {
    const response = toErrorResponse(error)
    // A 500 is a bug: logged with its stack. A 503 is the brain (or contention) saying "not now",
    // answered with Retry-After: a warning with its reason, not an error per request.
    if (response.statusCode === 503) {
      request.log.warn({ error: response.body.error, kind: error instanceof StoreError ? error.kind : undefined }, response.body.reason)
    } else if (response.statusCode >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.info({ error: response.body.error }, response.body.reason)
    }
    return reply.code(response.statusCode).headers(response.headers).send(response.body)
  })

  fastify.setNotFoundHandler(function handleNotFound (_request, reply) {
    return reply.code(404).send({ error: 'not_found', reason: 'There is nothing at this path; the API is described at /docs.' })
  })
}
