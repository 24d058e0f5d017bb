// Prometheus metrics at /metrics (prom-client). One registry per app instance, not the global
// default, so that several apps in one process (tests, benchmarks) never share counters.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { StoreError } from '../store/store-error.js'

export interface OvermindMetrics {
  registry: Registry
  commandsApplied: Counter
  conflictRetries: Counter
  conflictMerges: Counter
  storeErrors: Counter<'kind'>
  credentialRotations: Counter
  /** 1 while an operator has taken this replica out of rotation (POST /readyz/disable). */
  readinessDisabled: Gauge
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: OvermindMetrics
  }
}

export function createMetrics (): OvermindMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'overmind_' })
  return {
    registry,
    commandsApplied: new Counter({ name: 'overmind_commands_applied_total', help: 'Single commands (L, R, M) applied and stored.', registers: [registry] }),
    conflictRetries: new Counter({ name: 'overmind_conflict_retries_total', help: 'Writes retried after losing a revision race to another writer.', registers: [registry] }),
    conflictMerges: new Counter({ name: 'overmind_conflict_merges_total', help: 'Conflicted zerglings merged (a CouchDB cluster accepted writes on two branches, e.g. 202 during a partition).', registers: [registry] }),
    storeErrors: new Counter({ name: 'overmind_store_errors_total', help: 'Failed store calls answered to clients, by kind.', labelNames: ['kind'], registers: [registry] }),
    credentialRotations: new Counter({ name: 'overmind_couchdb_credential_rotations_total', help: 'Times CouchDB took a new password from the mounted Secret (COUCHDB_PASSWORD_FILE) without a restart.', registers: [registry] }),
    readinessDisabled: new Gauge({ name: 'overmind_readiness_disabled', help: '1 while an operator has taken this replica out of rotation (POST /readyz/disable), else 0.', registers: [registry] })
  }
}

/** GET /metrics on `fastify`: the public app's, or the listener of its own (OVERMIND_METRICS_ADDR, server.ts). */
export function serveMetrics (fastify: FastifyInstance, metrics: OvermindMetrics): void {
  // Scrapes come every few seconds: their request lines would drown the log at info.
  fastify.get('/metrics', { logLevel: 'warn', schema: { hide: true } }, async (_request, reply) => {
    return await reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}

export interface MetricsPluginOptions {
  metrics?: OvermindMetrics
  /** False when /metrics is served on a listener of its own; the counting stays here. */
  route?: boolean
}

export default fp(async function metricsPlugin (fastify, options: MetricsPluginOptions) {
  const metrics = options.metrics ?? createMetrics()
  const requests = new Counter({ name: 'overmind_http_requests_total', help: 'HTTP requests answered, by route and status.', labelNames: ['method', 'route', 'status'], registers: [metrics.registry] })
  const latency = new Histogram({
    name: 'overmind_http_request_duration_seconds',
    help: 'Time from request to response, by route.',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metrics.registry]
  })
  fastify.decorate('metrics', metrics)

  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL: ids would make the label set unbounded.
    const route = request.routeOptions.url ?? 'unmatched'
    requests.inc({ method: request.method, route, status: String(reply.statusCode) })
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000)
    done()
  })

  // Every store failure that reaches a client, by kind (not_found included: a spike of those is
  // worth seeing too); onError runs before the one error handler turns it into an answer.
  fastify.addHook('onError', async (_request, _reply, error) => {
    if (error instanceof StoreError) metrics.storeErrors.inc({ kind: error.kind })
  })

  if (options.route !== false) serveMetrics(fastify, metrics)
}, { name: 'metrics', fastify: '5.x' })
