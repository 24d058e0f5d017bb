// The one place that reads the environment. Every variable is listed in CONFIG_VARIABLES with its
// meaning and default (the README's table and the manifest checks read that list); loadConfig
// parses them once into a typed Config and fails fast with one clear sentence on a bad value.
import { readFileSync } from 'node:fs'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface CouchConnection {
  /** Server URL without credentials and without a trailing slash, e.g. `http://couchdb:5984`. */
  url: string
  username?: string
  password?: string
  database: string
  /** Upper bound for one HTTP call to CouchDB. */
  requestTimeoutMs: number
  /** `cookie` (the default): one session, no password hashing per request; `basic`: every request. */
  auth?: 'cookie' | 'basic'
}

export type StoreConfig =
  | { kind: 'embedded', dataDir: string, database: string }
  | { kind: 'couchdb', couch: CouchConnection }

export interface BootstrapConfig {
  /** The non-admin user the service may run as (the `app-user` step creates it). */
  appUsername?: string
  appPassword?: string
  /** How many CouchDB nodes the cluster should have; 1 = single node. */
  nodes: number
  /** How long the `wait` step waits for CouchDB. */
  waitTimeoutMs: number
}

export interface HttpPolicy {
  /** Origins allowed to call the API from a browser; empty = CORS off (no headers sent). */
  corsOrigins: string[]
  /** Requests per client address per minute; undefined = no limit. */
  rateLimitPerMinute?: number
  /** `Strict-Transport-Security: max-age=N`; undefined = not sent (the platform's decision). */
  hstsMaxAgeSeconds?: number
}

export interface Config {
  http: { host: string, port: number } & HttpPolicy
  logLevel: LogLevel
  store: StoreConfig
  bootstrap: BootstrapConfig
  /** How long a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: number
}

export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

export interface ConfigVariable { name: string, meaning: string, default?: string, secret?: boolean }

export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  { name: 'OVERMIND_HTTP_ADDR', meaning: 'listen address `host:port` (`:8080` means all interfaces); the flag `--http.addr` overrides it', default: '0.0.0.0:8080' },
  { name: 'OVERMIND_LOG_LEVEL', meaning: 'fatal, error, warn, info, debug, trace or silent', default: 'info' },
  { name: 'OVERMIND_CORS_ORIGIN', meaning: 'comma-separated origins allowed to call the API from a browser (e.g. `https://app.example`); unset = CORS off' },
  { name: 'OVERMIND_RATE_LIMIT_PER_MINUTE', meaning: 'requests per client address per minute, answered `429` above it (probes and metrics are exempt); unset = no limit' },
  { name: 'OVERMIND_HSTS_MAX_AGE', meaning: 'seconds of `Strict-Transport-Security: max-age=…` to send (only behind HTTPS you control; without `includeSubDomains`); unset = no HSTS header' },
  { name: 'OVERMIND_DATA_DIR', meaning: 'where the embedded store keeps its files when no CouchDB is configured', default: './data' },
  { name: 'OVERMIND_DATABASE', meaning: 'database name, in CouchDB and in the embedded store', default: 'zerglings' },
  { name: 'COUCHDB_URL', meaning: 'CouchDB server URL, may carry `user:password@`; takes precedence over the two below' },
  { name: 'COUCHDB_SERVICE_HOST', meaning: 'CouchDB host, as Kubernetes injects it for a Service named `couchdb`' },
  { name: 'COUCHDB_SERVICE_PORT', meaning: 'CouchDB port', default: '5984' },
  { name: 'COUCHDB_USERNAME', meaning: 'CouchDB user the service (and bootstrap) authenticates as' },
  { name: 'COUCHDB_PASSWORD', meaning: 'its password', secret: true },
  { name: 'COUCHDB_PASSWORD_FILE', meaning: 'file holding the password (a mounted Secret); instead of COUCHDB_PASSWORD', secret: true },
  { name: 'OVERMIND_COUCHDB_TIMEOUT_MS', meaning: 'upper bound for one call to CouchDB, in milliseconds', default: '5000' },
  { name: 'OVERMIND_COUCHDB_AUTH', meaning: '`cookie` (one `_session` login, then its cookie) or `basic` (the password on every request, which CouchDB hashes each time)', default: 'cookie' },
  { name: 'COUCHDB_APP_USERNAME', meaning: 'bootstrap `app-user`: the non-admin user to create for the service' },
  { name: 'COUCHDB_APP_PASSWORD', meaning: 'its password', secret: true },
  { name: 'COUCHDB_APP_PASSWORD_FILE', meaning: 'file holding it; instead of COUCHDB_APP_PASSWORD', secret: true },
  { name: 'OVERMIND_COUCHDB_NODES', meaning: 'bootstrap `cluster`: how many CouchDB nodes to wait for and join', default: '1' },
  { name: 'OVERMIND_BOOTSTRAP_TIMEOUT_MS', meaning: 'bootstrap `wait`: how long to wait for CouchDB, in milliseconds', default: '120000' },
  { name: 'OVERMIND_SHUTDOWN_TIMEOUT_MS', meaning: 'on SIGTERM, how long in-flight requests may take before the process exits', default: '10000' }
]

export type Env = Readonly<Record<string, string | undefined>>

export interface ConfigOverrides {
  /** From the `--http.addr` flag. */
  httpAddr?: string
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
// https://docs.couchdb.org/en/stable/api/database/common.html#put--db
const DATABASE_NAME = /^[a-z][a-z0-9_$()+/-]*$/

export function loadConfig (env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  return {
    http: {
      ...parseHttpAddr(overrides.httpAddr ?? value(env, 'OVERMIND_HTTP_ADDR') ?? '0.0.0.0:8080'),
      corsOrigins: parseOrigins(value(env, 'OVERMIND_CORS_ORIGIN')),
      rateLimitPerMinute: value(env, 'OVERMIND_RATE_LIMIT_PER_MINUTE') === undefined ? undefined : integer(env, 'OVERMIND_RATE_LIMIT_PER_MINUTE', 0, 1, 1_000_000),
      hstsMaxAgeSeconds: value(env, 'OVERMIND_HSTS_MAX_AGE') === undefined ? undefined : integer(env, 'OVERMIND_HSTS_MAX_AGE', 0, 0, 63_072_000)
    },
    logLevel: parseLogLevel(value(env, 'OVERMIND_LOG_LEVEL') ?? 'info'),
    store: parseStore(env),
    bootstrap: {
      appUsername: value(env, 'COUCHDB_APP_USERNAME'),
      appPassword: secret(env, 'COUCHDB_APP_PASSWORD'),
      nodes: integer(env, 'OVERMIND_COUCHDB_NODES', 1, 1, 99),
      waitTimeoutMs: integer(env, 'OVERMIND_BOOTSTRAP_TIMEOUT_MS', 120_000, 0, 3_600_000)
    },
    shutdownTimeoutMs: integer(env, 'OVERMIND_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000)
  }
}

/** Accepts `host:port`, `:port` (all interfaces, as Go writes it) and `[ipv6]:port`. */
export function parseHttpAddr (addr: string): { host: string, port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr.trim())
  const port = match === null ? NaN : Number(match[3])
  if (match === null || port > 65535) {
    throw new ConfigError(`OVERMIND_HTTP_ADDR (or --http.addr) must look like "0.0.0.0:8080" or ":8080", not ${JSON.stringify(addr)}.`)
  }
  const host = match[1] ?? match[2] ?? ''
  return { host: host === '' ? '0.0.0.0' : host, port }
}

function parseOrigins (text: string | undefined): string[] {
  if (text === undefined) return []
  return text.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '').map((origin) => {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw new ConfigError(`OVERMIND_CORS_ORIGIN must list origins such as https://app.example, not ${JSON.stringify(origin)}.`)
    }
    if (url.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(`OVERMIND_CORS_ORIGIN must list bare origins (scheme://host[:port]), not ${JSON.stringify(origin)}.`)
    }
    return url.origin
  })
}

function parseLogLevel (level: string): LogLevel {
  const found = LOG_LEVELS.find((known) => known === level.toLowerCase())
  if (found === undefined) {
    throw new ConfigError(`OVERMIND_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(level)}.`)
  }
  return found
}

function parseStore (env: Env): StoreConfig {
  const database = value(env, 'OVERMIND_DATABASE') ?? 'zerglings'
  if (!DATABASE_NAME.test(database)) {
    throw new ConfigError(`OVERMIND_DATABASE must be a CouchDB database name (lowercase letter first, then a-z 0-9 _$()+/-), not ${JSON.stringify(database)}.`)
  }
  const serverUrl = value(env, 'COUCHDB_URL')
  const host = value(env, 'COUCHDB_SERVICE_HOST')
  if (serverUrl === undefined && host === undefined) {
    return { kind: 'embedded', dataDir: value(env, 'OVERMIND_DATA_DIR') ?? './data', database }
  }
  const requestTimeoutMs = integer(env, 'OVERMIND_COUCHDB_TIMEOUT_MS', 5000, 1, 600_000)
  let username = value(env, 'COUCHDB_USERNAME')
  let password = secret(env, 'COUCHDB_PASSWORD')
  let url: string
  if (serverUrl !== undefined) {
    const parsed = parseUrl(serverUrl)
    // Credentials in the URL are used, then removed, so that the URL can be logged as it is.
    if (parsed.username !== '') username ??= decodeURIComponent(parsed.username)
    if (parsed.password !== '') password ??= decodeURIComponent(parsed.password)
    parsed.username = ''
    parsed.password = ''
    url = parsed.toString().replace(/\/+$/, '')
  } else {
    const port = integer(env, 'COUCHDB_SERVICE_PORT', 5984, 1, 65535)
    const bracketed = host!.includes(':') ? `[${host!}]` : host!
    url = `http://${bracketed}:${port}`
    parseUrl(url)
  }
  if (password !== undefined && username === undefined) {
    throw new ConfigError('A CouchDB password is set but no COUCHDB_USERNAME: set both, or neither.')
  }
  const auth = value(env, 'OVERMIND_COUCHDB_AUTH') ?? 'cookie'
  if (auth !== 'cookie' && auth !== 'basic') {
    throw new ConfigError(`OVERMIND_COUCHDB_AUTH must be cookie or basic, not ${JSON.stringify(auth)}.`)
  }
  return { kind: 'couchdb', couch: { url, username, password, database, requestTimeoutMs, auth } }
}

function parseUrl (text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError('COUCHDB_URL must be an absolute URL such as http://couchdb:5984 (its value is not repeated here because it may hold a password).')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`COUCHDB_URL must start with http:// or https://, not ${url.protocol}//.`)
  }
  return url
}

/** A secret from `NAME` or from the file named by `NAME_FILE` (a mounted Kubernetes Secret). */
function secret (env: Env, name: string): string | undefined {
  const direct = value(env, name)
  const file = value(env, `${name}_FILE`)
  if (direct !== undefined && file !== undefined) {
    throw new ConfigError(`Set ${name} or ${name}_FILE, not both.`)
  }
  if (file === undefined) return direct
  try {
    // A Secret mounted as a file usually ends with a newline that is not part of the password.
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '')
  } catch (error) {
    throw new ConfigError(`${name}_FILE names ${JSON.stringify(file)}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
}

function integer (env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = value(env, name)
  if (text === undefined) return fallback
  const parsed = /^\d+$/.test(text) ? Number(text) : NaN
  if (!(parsed >= min && parsed <= max)) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}.`)
  }
  return parsed
}

/** An unset or empty variable counts as absent, as Kubernetes env with `value: ""` would. */
function value (env: Env, name: string): string | undefined {
  const text = env[name]
  return text === undefined || text === '' ? undefined : text
}
