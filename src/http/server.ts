// Process work around the app: the logger, listen, and a graceful close on SIGTERM/SIGINT.
// Shutdown order (Kubernetes "Pod termination"): readiness fails first and answers say
// `Connection: close` for a short grace (connection-drain.ts), then the listener stops accepting,
// in-flight requests finish, the store closes, exit 0 — all within shutdownTimeoutMs, which the
// manifests' terminationGracePeriodSeconds covers.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { pino, stdSerializers, type DestinationStream, type LoggerOptions } from 'pino'
import type { SpanExporter } from '@opentelemetry/sdk-trace-node'
import { faultsOn, type Config } from '../config.js'
import { redact } from '../redact.js'
import { openStore } from '../store/open-store.js'
import type { ZerglingStore } from '../store/zergling-store.js'
import { createApp } from './app.js'
import { DRAIN_GRACE_MS, trackConnections } from './connection-drain.js'
import { createMetrics } from './metrics.js'
import { listenForMetrics } from './metrics-listener.js'
import { watchTokenFile, type BearerToken } from '../token-file.js'
import { recordConflictRetry } from '../tracing/span-events.js'

export interface RunningServer {
  app: FastifyInstance
  /** `http://host:port` as bound (port 0 becomes the real port). */
  address: string
  /** Where /metrics is served when OVERMIND_METRICS_ADDR is set, as bound. */
  metricsAddress?: string
  /** Starts the graceful shutdown; resolves when it is done. Safe to call more than once. */
  shutdown: (signal?: string) => Promise<void>
}

export interface StartServerOptions {
  /** For tests: puts a fault or a delay around the store the configuration opens. */
  wrapStore?: (store: ZerglingStore) => ZerglingStore
  /** For tests: where log lines go (default stdout). */
  logTo?: DestinationStream
  /** For tests: gets every span as it ends, instead of the configured exporter (tracing must be on). */
  traceExporter?: SpanExporter
}

/** Opens the store `config` names (its retries and merges counted in /metrics), then listens. */
export async function startServer (config: Config, { wrapStore = (store) => store, logTo, traceExporter }: StartServerOptions = {}): Promise<RunningServer> {
  let draining = false
  const drain = new AbortController()
  const metrics = createMetrics()
  // Made before the store so that what happens while it opens is logged like the rest.
  // A password read from the rotated Secret joins the ones scrubbed from every logged error.
  const secrets = secretsOf(config)
  const logger = logTo === undefined ? pino(loggerOptions(config, secrets)) : pino(loggerOptions(config, secrets), logTo)
  const { faults } = config
  const on = faultsOn(faults)
  // Loud on purpose: a pod injecting faults must be obvious from the first lines of its log.
  if (on.length > 0) logger.warn({ faults }, `FAULT INJECTION IS ON (${on.join(', ')}): some requests fail or wait on purpose; never run this in production`)
  const store = wrapStore(await openStore(config.store, {
    onConflictRetry: (retry, delayMs) => {
      metrics.conflictRetries.inc()
      recordConflictRetry(retry, delayMs)
    },
    onMerge: () => metrics.conflictMerges.inc(),
    onCredentialRotation: () => metrics.credentialRotations.inc(),
    onPasswordRead: (password) => { secrets.push(password) },
    lostAnswers: { rate: faults.lostAnswerRate },
    logger
  }))
  const { adminTokenFile, apiTokenFile, metricsAddr } = config.access
  const adminToken = tokenFrom(adminTokenFile, 'OVERMIND_ADMIN_TOKEN_FILE', logger)
  const apiToken = tokenFrom(apiTokenFile, 'OVERMIND_API_TOKEN_FILE', logger)
  // After the store opened (nothing it does then belongs to a request), before the first request.
  // The SDK is loaded only when tracing is on: off, not one of its modules is read (memory, start-up).
  const tracing = config.tracing.enabled ? (await import('../tracing/tracing.js')).startTracing(config.tracing, traceExporter) : undefined
  if (tracing !== undefined) logger.info({ exporter: config.tracing.exporter, serviceName: config.tracing.serviceName }, 'OpenTelemetry traces are on')
  const app = await createApp({
    store,
    metrics,
    isDraining: () => draining,
    drain: drain.signal,
    policy: config.http,
    faults: { faults },
    adminToken,
    apiToken,
    metricsRoute: metricsAddr === undefined,
    loggerInstance: logger,
    tracer: tracing?.tracer
  })
  app.addHook('onClose', async () => { adminToken?.close(); apiToken?.close() })
  const connections = trackConnections(app)
  const address = await app.listen({ host: config.http.host, port: config.http.port })
  // A metrics port that cannot be bound stops the start like the API's own (startup-failure.ts).
  const metricsListener = metricsAddr === undefined ? undefined : await listenForMetrics(metrics, metricsAddr, app.log).catch(async (error: unknown) => { await app.close(); await tracing?.shutdown(); throw error })
  if (metricsListener !== undefined) app.log.info({ metrics: metricsListener.address }, '/metrics is served on its own listener')
  app.log.info({ store: store.kind, ...describeStore(config) }, 'overmind is listening')
  const brain = await store.check()
  if (!brain.ok) app.log.warn({ brain: brain.kind }, brain.reason)

  let closing: Promise<void> | undefined
  const shutdown = async (signal?: string): Promise<void> => {
    closing ??= (async () => {
      draining = true
      app.log.info({ signal }, 'shutting down: readiness fails, in-flight requests finish')
      // Change streams never finish by themselves: each ends now, and its client reconnects elsewhere.
      drain.abort()
      const timer = setTimeout(() => {
        app.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'graceful shutdown took too long; exiting')
        process.exit(1)
      }, config.shutdownTimeoutMs)
      timer.unref()
      await connections.settle(Math.min(DRAIN_GRACE_MS, config.shutdownTimeoutMs / 2))
      const closed = app.close()
      connections.drain()
      await Promise.all([closed, metricsListener?.listener.close()])
      // The last spans (this shutdown's requests) are sent before the process goes.
      await tracing?.shutdown()
      clearTimeout(timer)
    })()
    return await closing
  }
  return { app, address, metricsAddress: metricsListener?.address, shutdown }
}

/** A token file watched for changes; what it reports is logged, never the token. */
function tokenFrom (file: string | undefined, name: string, logger: FastifyBaseLogger): BearerToken | undefined {
  if (file === undefined) return undefined
  return watchTokenFile(file, name, {
    changed: () => { logger.info({ variable: name }, `${name}: the file changed; its new token is in force`) },
    unreadable: (_file, reason) => { logger.warn({ variable: name }, `${reason} The previous token stays in force.`) }
  })
}

/** pino options: the level, and errors scrubbed of credentials (the secrets are gathered once). */
export function loggerOptions (config: Config, secrets = secretsOf(config)): LoggerOptions {
  return {
    level: config.logLevel,
    // Fastify logs no headers by default; these paths stay redacted should anyone add them.
    redact: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'],
    serializers: { err: (error: Error) => scrubError(error, secrets) }
  }
}

/** Errors are logged with their stack, minus any credential a library put in a message. */
function scrubError (error: Error, secrets: string[]): ReturnType<typeof stdSerializers.err> {
  return JSON.parse(redact(JSON.stringify(stdSerializers.err(error)), secrets)) as ReturnType<typeof stdSerializers.err>
}

function secretsOf (config: Config): string[] {
  const secrets = [config.bootstrap.appPassword]
  if (config.store.kind === 'couchdb') secrets.push(config.store.couch.password)
  return secrets.filter((secret): secret is string => secret !== undefined)
}

function describeStore (config: Config): Record<string, string> {
  return config.store.kind === 'couchdb'
    ? { couchdb: config.store.couch.url, database: config.store.couch.database, username: config.store.couch.username ?? '(none)' }
    : { dataDir: config.store.dataDir, database: config.store.database }
}
