// Health as the seed has it, plus the two probes Kubernetes needs (docs: "Configure Liveness,
// Readiness and Startup Probes"): liveness never touches CouchDB, so a slow brain does not get
// every replica restarted; readiness does, so traffic goes only where the brain is usable.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { packageVersion } from '../../version.js'
import { RETRY_AFTER_SECONDS } from '../error-handler.js'
import { answer, HEADERS } from '../responses.js'
import { Health, Probe } from '../frozen-schemas.js'
import { OPERATOR_DISABLED_REASON } from './readiness-switch.js'

export interface HealthOptions {
  /** True once shutdown has begun: readiness fails first, so the Service stops sending traffic. */
  isDraining?: () => boolean
  /** True while an operator has taken this replica out of rotation (readiness-switch.ts). */
  isDisabled?: () => boolean
}

const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (fastify, options) => {
  const isDraining = options.isDraining ?? (() => false)
  const isDisabled = options.isDisabled ?? (() => false)

  fastify.get('/_health', {
    schema: { tags: ['health'], operationId: 'getHealth', summary: 'Version and the brain\'s state (always 200, as in the original)', response: { 200: answer(Health, 'The version, and `brain`: `ok` or `damaged`.') } }
  }, async (request) => {
    const brain = await fastify.store.check()
    if (!brain.ok) request.log.warn({ brain: brain.kind, ...brain.failure }, brain.reason)
    return { health: { version: packageVersion, brain: brain.ok ? 'ok' as const : 'damaged' as const } }
  })

  // Probes come every few seconds from every kubelet: their request lines are not logged at info.
  fastify.get('/livez', {
    logLevel: 'warn',
    schema: { tags: ['health'], operationId: 'getLiveness', summary: 'The process is alive (never touches CouchDB)', response: { 200: answer(Probe, 'Alive.') } }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/readyz', {
    logLevel: 'warn',
    schema: {
      tags: ['health'],
      operationId: 'getReadiness',
      summary: 'Ready for traffic: the store is reachable, its database exists and writes work',
      response: { 200: answer(Probe, 'Ready.'), 503: answer(Probe, 'Not ready: shutting down, or the brain is not usable; `reason` says which.', { 'retry-after': HEADERS.retryAfter }) }
    }
  }, async (_request, reply) => {
    if (isDraining()) {
      return await reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ status: 'unavailable', reason: 'Shutting down.' })
    }
    if (isDisabled()) return await reply.code(503).send({ status: 'unavailable', reason: OPERATOR_DISABLED_REASON })
    const brain = await fastify.store.check()
    if (brain.ok) return { status: 'ok' as const }
    return await reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ status: 'unavailable', reason: brain.reason })
  })
}

export default healthRoutes
