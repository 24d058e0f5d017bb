// A known path asked with a method it does not serve is 405 with an Allow header (the original
// answered 405 with an empty body; Fastify alone would answer 404).
import type { FastifyInstance, HTTPMethods } from 'fastify'
import { ApiError } from './api-error.js'

const ALL_METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']

export function answerOtherMethods (fastify: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  const allow = allowed.includes('GET') && !allowed.includes('HEAD') ? [...allowed, 'HEAD'] : allowed
  fastify.route({
    method: ALL_METHODS.filter((method) => !allow.includes(method)),
    url,
    schema: { hide: true },
    handler: async (request) => {
      throw new ApiError(405, 'method_not_allowed', `${request.method} is not allowed here; use ${allow.join(', ')}.`, { allow: allow.join(', ') })
    }
  })
}
