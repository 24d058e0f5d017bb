// The shape of overmind's configuration, as loadConfig (config.ts) returns it, and its one error.
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface CouchConnection {
  /** Server URL without credentials and without a trailing slash, e.g. `http://couchdb:5984`. */
  url: string
  username?: string
  password?: string
  /** Where `password` was read from (COUCHDB_PASSWORD_FILE): watched, so a rotated Secret is picked up. */
  passwordFile?: string
  database: string
  /** Upper bound for one HTTP call to CouchDB. */
  requestTimeoutMs: number
  /** `cookie` (the default): one session, no password hashing per request; `basic`: every request. */
  auth?: 'cookie' | 'basic'
}

export type StoreConfig =
  | { kind: 'embedded', dataDir: string, database: string }
  /** `reads`: where a GET of one zergling is answered from (OVERMIND_READS; store/memory-watch.ts). */
  | { kind: 'couchdb', couch: CouchConnection, reads?: 'couchdb' | 'memory' }

export interface BootstrapConfig {
  /** The non-admin user the service may run as (the `app-user` step creates it). */
  appUsername?: string
  appPassword?: string
  /** Where `appPassword` was read from (COUCHDB_APP_PASSWORD_FILE). */
  appPasswordFile?: string
  /** How many CouchDB nodes the cluster should have; 1 = single node. */
  nodes: number
  /** How long the `wait` step waits for CouchDB. */
  waitTimeoutMs: number
}

/** Fastify's `trustProxy`: whom to believe about the client's address (X-Forwarded-For). */
export type TrustProxy = boolean | string[]

export interface HttpPolicy {
  /** Origins allowed to call the API from a browser; empty = CORS off (no headers sent). */
  corsOrigins: string[]
  /** Requests per client address per minute; undefined = no limit. */
  rateLimitPerMinute?: number
  /** `Strict-Transport-Security: max-age=N`; undefined = not sent (the platform's decision). */
  hstsMaxAgeSeconds?: number
  /** Behind which proxies X-Forwarded-For names the client (the rate limit's key); undefined = none. */
  trustProxy?: TrustProxy
}

/** Files of mounted Secrets holding bearer tokens, and where /metrics is served (server.ts). */
export interface AccessConfig {
  /** OVERMIND_ADMIN_TOKEN_FILE: enables POST /readyz/disable and /readyz/enable. */
  adminTokenFile?: string
  /** OVERMIND_API_TOKEN_FILE: every write needs `Authorization: Bearer <token>`. */
  apiTokenFile?: string
  /** OVERMIND_METRICS_ADDR: /metrics on a listener of its own instead of the public port. */
  metricsAddr?: { host: string, port: number }
}

/**
 * Faults injected on purpose, for demos of retries and for chaos runs (src/http/fault-injection.ts,
 * src/store/lost-answer-fault.ts); all off (0, no latency) unless configured.
 */
export interface FaultConfig {
  /** Share of API requests answered `503 fault_injected` before they reach the store. */
  errorRate: number
  /** A delay drawn from this range is added before each API request is handled. */
  latency?: { minMs: number, maxMs: number }
  /** Share of writes stored but answered as if CouchDB had gone away before confirming them. */
  lostAnswerRate: number
}

/** OpenTelemetry traces (src/tracing/tracing.ts); off unless asked for or an endpoint is set. */
export interface TracingConfig {
  enabled: boolean
  /** `otlp`: OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (the exporter reads the variables itself); `none`: recorded, not sent. */
  exporter: 'otlp' | 'none'
  serviceName: string
}

export interface Config {
  http: { host: string, port: number } & HttpPolicy
  access: AccessConfig
  logLevel: LogLevel
  store: StoreConfig
  bootstrap: BootstrapConfig
  /** How long a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: number
  faults: FaultConfig
  tracing: TracingConfig
  /** What `overmind zerglings` talks to: the service's base URL, without a trailing slash. */
  client: { url: string }
}

export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}
