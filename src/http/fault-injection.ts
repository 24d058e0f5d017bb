// Faults injected on purpose (OVERMIND_FAULT_ERROR_RATE, OVERMIND_FAULT_LATENCY), as podinfo's
// `--random-error` and `--random-delay` do: a demo of a client's retries, or a chaos run. Only API
// requests (paths under /zerglings) are touched — probes, metrics, the docs and the web map's page
// never are — and the fault comes in `onRequest`, before the body is read and before the store is
// reached, so a faulted request changed nothing and is safe to retry, as its Retry-After says. A
// CORS preflight never gets here: @fastify/cors answers it in its own onRequest hook, registered
// before this one (app.ts), and it is the browser asking, not the API being called.
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import type { FaultConfig } from '../config.js'
import { RETRY_AFTER_SECONDS } from './error-handler.js'

export interface HttpFaultOptions {
  faults: Pick<FaultConfig, 'errorRate' | 'latency'>
  /** From 0 (inclusive) to 1; tests pass a scripted or seeded one. Per request: the delay's draw, then the error's. */
  random?: () => number
}

const isApi = (url: string): boolean => url === '/zerglings' || url.startsWith('/zerglings/') || url.startsWith('/zerglings?')

export default fp<HttpFaultOptions>(async function faultInjection (fastify, { faults, random = Math.random }) {
  const { errorRate, latency } = faults
  if (errorRate === 0 && latency === undefined) return
  fastify.addHook('onRequest', async (request, reply) => {
    if (!isApi(request.url)) return
    if (latency !== undefined) await sleep(latency.minMs + Math.round(random() * (latency.maxMs - latency.minMs)))
    if (errorRate === 0 || random() >= errorRate) return
    request.log.warn({ error: 'fault_injected' }, 'answered 503 by fault injection (OVERMIND_FAULT_ERROR_RATE)')
    reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({
      error: 'fault_injected',
      reason: `A fault injected on purpose (OVERMIND_FAULT_ERROR_RATE=${errorRate}); nothing was changed. Retry shortly.`
    })
    return reply
  })
}, { name: 'fault-injection', fastify: '5.x' })
