// The answers each operation really gives, with a description and the headers that go with them:
// Fastify serialises by these schemas, and /openapi.json shows them (the `description` and
// `headers` keys are @fastify/swagger's, https://github.com/fastify/fastify-swagger#response-headers).
// Rate limiting (429) and X-Request-Id belong to every operation alike: openapi.ts adds them.
import type { TSchema, TUnsafe } from 'typebox'
import { RETRY_AFTER_SECONDS } from './error-handler.js'
import { ErrorBody, PreconditionFailedBody } from './frozen-schemas.js'

interface HeaderSchema { type: 'string' | 'integer', description: string, enum?: string[] }

/** `schema` as the answer of one status: what it means, and its headers. */
export function answer<T extends TSchema> (schema: T, description: string, headers?: Record<string, HeaderSchema>): T {
  return { ...schema, description, ...(headers === undefined ? {} : { headers }) }
}

export const HEADERS = {
  etag: { type: 'string', description: 'The zergling\'s revision (its `_rev`), quoted: send it back as `If-None-Match` to skip an unchanged read (304), or as `If-Match` to act only on this state (412 otherwise).' },
  location: { type: 'string', description: 'The new zergling\'s path, `/zerglings/{id}`.' },
  idempotentReplayed: { type: 'string', enum: ['true'], description: 'Present when an Idempotency-Key matched an earlier request: this is that request\'s answer again, and nothing was applied now.' },
  link: { type: 'string', description: 'When `commandHistory` was cut to the newest commands: `</zerglings/{id}/history>; rel="history"`, where the whole of it is.' },
  retryAfter: { type: 'integer', description: `Seconds to wait before retrying (${RETRY_AFTER_SECONDS} here).` }
} satisfies Record<string, HeaderSchema>

/** A 304 has no body: the client's copy is current. (A plain schema typed as TypeBox's `Unsafe`: no TypeBox at run time.) */
export const NotModified = {
  type: 'null',
  description: 'Not Modified: `If-None-Match` names the zergling\'s current revision, so the copy the client has is current.',
  headers: { etag: HEADERS.etag }
} as unknown as TUnsafe<undefined>

const errors = {
  400: answer(ErrorBody, 'The request is not valid; `error` says how (`bad_request`, `invalid_command`, `invalid_cursor`) and nothing was changed.'),
  404: answer(ErrorBody, 'There is no zergling with that id (never spawned, or deleted).'),
  412: answer(PreconditionFailedBody, 'Precondition Failed: If-Match names revisions the zergling is not at, because another request changed it since; nothing was changed.', { etag: HEADERS.etag }),
  413: answer(ErrorBody, 'The body is larger than 64 KiB.'),
  422: answer(ErrorBody, '`idempotency_key_reused`: this Idempotency-Key came before with other commands; nothing was applied.'),
  500: answer(ErrorBody, '`internal_error`: a fault in overmind, logged with its stack; the reason never says more.'),
  503: answer(ErrorBody, 'Not now: the brain is unavailable or damaged (`brain_unavailable`, `brain_damaged`), the zergling was too busy (`busy`; nothing was applied), or a write\'s outcome is unknown (`outcome_unknown`: retry with the same Idempotency-Key).', { 'retry-after': HEADERS.retryAfter })
}

type ErrorStatus = keyof typeof errors

/** The error answers `statuses`, as their schemas for a route's `response`. */
export function errorAnswers<S extends ErrorStatus> (...statuses: S[]): Pick<typeof errors, S> {
  return Object.fromEntries(statuses.map((status) => [status, errors[status]])) as Pick<typeof errors, S>
}
