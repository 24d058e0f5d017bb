// The seed's curl session sends JSON with `curl -d`, i.e. as application/x-www-form-urlencoded,
// and the original service read the body as JSON whatever the content type. So every content
// type is read as text here, and a route that needs JSON parses it itself (parseJsonBody), which
// also lets `POST /zerglings/ -d'M'` ignore a body that is not JSON at all.
import type { FastifyInstance } from 'fastify'
import { ApiError } from './api-error.js'

/** Bodies above this are answered 413 before they are read whole. */
export const BODY_LIMIT_BYTES = 64 * 1024

export function acceptAnyContentType (fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => {
    done(null, body)
  })
}

export function parseJsonBody (body: unknown): unknown {
  if (typeof body !== 'string' || body.trim() === '') {
    throw new ApiError(400, 'bad_request', 'The body is empty: send a JSON string such as "M" (with the quotes).')
  }
  try {
    return JSON.parse(body)
  } catch {
    throw new ApiError(400, 'bad_request', 'The body is not valid JSON: send a JSON string such as "M" (with the quotes), e.g. curl -d \'"M"\'.')
  }
}

/** One word of letters, as `curl -d LM` sends it: the domain's parser judges the letters. */
const BARE_WORD = /^[A-Za-z]+$/

/**
 * A command body: a JSON string (`"LM"`), or — unless the client said it sends JSON — the bare
 * letters (`curl -d LM`, form-urlencoded as curl sends it, or text/plain), as the seed's users
 * type it. Anything else that is not JSON stays a 400 `bad_request`.
 */
export function parseCommandText (body: unknown, contentType: string | undefined): unknown {
  const declaredJson = /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType ?? '')
  if (!declaredJson && typeof body === 'string' && BARE_WORD.test(body.trim())) {
    return body.trim()
  }
  try {
    return parseJsonBody(body)
  } catch (error) {
    if (declaredJson || !(error instanceof ApiError) || typeof body !== 'string' || body.trim() === '') throw error
    throw new ApiError(400, 'bad_request', 'The body is neither the letters L, R, M (curl -d LM) nor a JSON string (curl -d \'"LM"\').')
  }
}
