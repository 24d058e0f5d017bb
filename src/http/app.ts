// The overmind HTTP app as a Fastify plugin, plus createApp() which builds a Fastify instance
// around it with the server options the API relies on. Tests call createApp() and `inject`;
// src/http/server.ts adds the process work (listen, signals, graceful close).
import { hostname } from 'node:os'
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyServerOptions } from 'fastify'
import compress from '@fastify/compress'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Tracer } from '@opentelemetry/api'
import type { HttpPolicy } from '../config.js'
import type { ZerglingStore } from '../store/zergling-store.js'
import changeStreams, { type ChangeStreamOptions } from './change-streams.js'
import { acceptAnyContentType, BODY_LIMIT_BYTES } from './any-content-type.js'
import { installErrorHandlers } from './error-handler.js'
import { lazySchemaCompilers } from './lazy-schema-compilers.js'
import faultInjection, { type HttpFaultOptions } from './fault-injection.js'
import metricsPlugin, { type OvermindMetrics } from './metrics.js'
import { echoRequestId, requestIdOf, REQUEST_ID_HEADER } from './request-id.js'
import { openApiOptions } from './openapi.js'
import { addSecurityHeaders } from './security-headers.js'
import changesRoutes from './routes/changes.js'
import healthRoutes from './routes/health.js'
import readinessSwitchRoutes, { createReadinessSwitch } from './routes/readiness-switch.js'
import zerglingRoutes from './routes/zerglings.js'
import storePlugin from './store-plugin.js'
import webMap from './web-map.js'
import writeProtection from './write-protection.js'
import type { BearerToken } from '../token-file.js'

export interface AppOptions {
  store: ZerglingStore
  metrics?: OvermindMetrics
  /** True once shutdown has begun (readiness then fails). */
  isDraining?: () => boolean
  /** Aborted when shutdown begins: change streams end at once (they never end by themselves). */
  drain?: AbortSignal
  /** CORS and rate limit; both off by default. */
  policy?: HttpPolicy
  /** The change streams' limits (tests make them small). */
  stream?: ChangeStreamOptions
  /** Errors and latency injected on purpose (OVERMIND_FAULT_*); none by default. */
  faults?: HttpFaultOptions
  /** Shown on the web map and in the stream's `live` event; in Kubernetes the host name is the pod's. */
  replica?: string
  /** Enables POST /readyz/disable and /readyz/enable for whoever has it (OVERMIND_ADMIN_TOKEN_FILE). */
  adminToken?: BearerToken
  /** Every write must carry it (OVERMIND_API_TOKEN_FILE); reads stay open. */
  apiToken?: BearerToken
  /** False when server.ts serves /metrics on a listener of its own (OVERMIND_METRICS_ADDR). */
  metricsRoute?: boolean
}

const API_METHODS = ['GET', 'HEAD', 'POST', 'DELETE']

/** Probes and metrics are never rate limited: Kubernetes and Prometheus must always get through. */
const UNLIMITED_PATHS = new Set(['/livez', '/readyz', '/_health', '/metrics'])

export const overmindApp: FastifyPluginAsync<AppOptions> = async (fastify, options) => {
  acceptAnyContentType(fastify)
  installErrorHandlers(fastify)
  // While draining, answers close their connection: an idle keep-alive socket would otherwise
  // hold the shutdown until the client hangs up or Node's keep-alive timeout passes.
  // The same while an operator has the replica out of rotation: kept-alive clients (through a
  // Service's ClusterIP the connection stays on this pod) reconnect and land on a ready one.
  const readiness = createReadinessSwitch((disabled) => { fastify.metrics.readinessDisabled.set(disabled ? 1 : 0) })
  const isDraining = options.isDraining ?? (() => false)
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (isDraining() || readiness.disabled()) reply.header('connection', 'close')
    done(null, payload)
  })
  const { corsOrigins = [], rateLimitPerMinute, hstsMaxAgeSeconds } = options.policy ?? {}
  // Security headers on every answer; the docs page sets its own CSP for its static files.
  addSecurityHeaders(fastify, hstsMaxAgeSeconds)
  echoRequestId(fastify)
  if (corsOrigins.length > 0) {
    // Every method the API has (the plugin's default leaves DELETE out of preflight answers).
    // Loaded only when configured, as the rate limit below: each is import time at every start.
    const { default: cors } = await import('@fastify/cors')
    await fastify.register(cors, { origin: corsOrigins, methods: API_METHODS, exposedHeaders: ['location', 'idempotent-replayed', 'retry-after', 'etag', REQUEST_ID_HEADER] })
  }
  // Answers from 1 KiB on (history pages, lists, a zergling with a long history) go compressed
  // to a client that accepts it; brotli at the plugin's quality 4, as cheap as gzip's default.
  // The change stream is written past Fastify's onSend (reply.hijack) and never compressed, so
  // each event leaves at once. Request bodies are not decompressed: a command is a few bytes.
  await fastify.register(compress, { encodings: ['br', 'gzip'], threshold: 1024, globalDecompression: false })
  if (rateLimitPerMinute !== undefined) {
    const { default: rateLimit } = await import('@fastify/rate-limit')
    await fastify.register(rateLimit, {
      max: rateLimitPerMinute,
      timeWindow: '1 minute',
      allowList: (request) => UNLIMITED_PATHS.has(request.url.split('?')[0]!),
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        error: 'too_many_requests',
        reason: `More than ${context.max} requests a minute from this address; retry in ${Math.ceil(context.ttl / 1000)} s.`
      })
    })
  }
  if (options.apiToken !== undefined) await fastify.register(writeProtection, { apiToken: options.apiToken })
  await fastify.register(metricsPlugin, { metrics: options.metrics, route: options.metricsRoute })
  if (options.faults !== undefined) await fastify.register(faultInjection, options.faults)
  await fastify.register(storePlugin, { store: options.store })
  const replica = options.replica ?? hostname()
  await fastify.register(changeStreams, { stream: { replica, ...options.stream }, isDraining, drain: options.drain })
  await fastify.register(swagger, openApiOptions({
    rateLimited: rateLimitPerMinute === undefined ? undefined : (path) => !UNLIMITED_PATHS.has(path),
    writesNeedToken: options.apiToken !== undefined,
    adminSwitch: options.adminToken !== undefined
  }))
  await fastify.register(healthRoutes, { isDraining: options.isDraining, isDisabled: readiness.disabled })
  if (options.adminToken !== undefined) await fastify.register(readinessSwitchRoutes, { readiness, adminToken: options.adminToken })
  await fastify.register(changesRoutes)
  await fastify.register(zerglingRoutes)
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Same reason as in security-headers.ts: the page must load over plain HTTP too.
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, '')
  })
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger())
  await fastify.register(webMap, { replica })
}

export type CreateAppOptions = AppOptions & Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> & {
  /** Traces every request (request-tracing.ts); without it no tracing hook is installed. */
  tracer?: Tracer
  /**
   * When each route's schemas are compiled: on the route's first request (the default, the
   * start's time: lazy-schema-compilers.ts), or all of them before the app is ready, as Fastify
   * does by itself (a test proves every schema compiles).
   */
  compileSchemas?: 'on first use' | 'before ready'
}

export async function createApp (options: CreateAppOptions): Promise<FastifyInstance> {
  const { logger, loggerInstance, tracer, compileSchemas = 'on first use', ...appOptions } = options
  // Loaded only when tracing is on (like the store adapters): off, its modules are never read.
  const tracing = tracer === undefined ? undefined : (await import('./request-tracing.js')).requestTracing(tracer)
  const fastify = Fastify({
    ...(tracing === undefined ? {} : { childLoggerFactory: tracing.childLoggerFactory }),
    logger: loggerInstance === undefined ? (logger ?? false) : undefined,
    loggerInstance,
    bodyLimit: BODY_LIMIT_BYTES,
    ...(compileSchemas === 'on first use' ? { schemaController: { compilersFactory: lazySchemaCompilers } } : {}),
    // Whose X-Forwarded-For names the client (request.ip, the rate limit's key); none by default,
    // so a client cannot pick a fresh rate-limit bucket by sending the header itself.
    trustProxy: appOptions.policy?.trustProxy ?? false,
    // A long id is just an unknown id (404), not a 414; Node limits the request line anyway.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 16 * 1024 },
    // Keep-alive clients are told to go elsewhere while the server closes (graceful shutdown).
    return503OnClosing: true,
    // X-Request-Id (request-id.ts): validated here, since Fastify's own `requestIdHeader` takes
    // whatever comes; it becomes `reqId` in every log line of the request.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // Errors raised before routing (a malformed %-escape in the URL) get our shape too, and the
    // URL is not echoed back.
    frameworkErrors: (_error, request, reply) => {
      (reply as FastifyReply).code(400).header(REQUEST_ID_HEADER, request.id).send({ error: 'bad_request', reason: 'The URL is not valid: it has a malformed %-escape.' })
    }
  }).withTypeProvider<TypeBoxTypeProvider>()
  // First, so that every other hook and handler runs inside the request's span.
  tracing?.install(fastify)
  await fastify.register(overmindApp, appOptions)
  return fastify
}
