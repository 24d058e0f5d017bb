// The one place that reads the environment. One table (VARIABLES) holds each variable's meaning,
// default and parser: loadConfig reads every variable through it — whatever the store, so a bad
// value is refused even where it would not be used — and fails fast with one sentence naming the
// variable; the README's table and the manifest checks read the same entries (CONFIG_VARIABLES).
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

/** One entry of the table: `parse` gets the text (the default when unset) and the name for errors. */
interface Variable<T> {
  meaning: string
  default?: string
  secret?: boolean
  parse: (text: string, name: string) => T
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
// https://docs.couchdb.org/en/stable/api/database/common.html#put--db
const DATABASE_NAME = /^[a-z][a-z0-9_$()+/-]*$/

const text = (value: string): string => value

function wholeNumber (min: number, max: number): (value: string, name: string) => number {
  return (value, name) => {
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN
    if (!(parsed >= min && parsed <= max)) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}.`)
    return parsed
  }
}

function oneOf<T extends string> (choices: readonly T[]): (value: string, name: string) => T {
  return (value, name) => {
    const found = choices.find((choice) => choice === value.toLowerCase())
    if (found === undefined) throw new ConfigError(`${name} must be one of ${choices.join(', ')}, not ${JSON.stringify(value)}.`)
    return found
  }
}

const VARIABLES = {
  OVERMIND_HTTP_ADDR: { meaning: 'listen address `host:port` (`:8080` means all interfaces); the flag `--http.addr` (or the original\'s `-http.addr`) overrides it', default: '0.0.0.0:8080', parse: parseHttpAddr },
  OVERMIND_LOG_LEVEL: { meaning: 'fatal, error, warn, info, debug, trace or silent', default: 'info', parse: oneOf(LOG_LEVELS) },
  OVERMIND_CORS_ORIGIN: { meaning: 'comma-separated origins allowed to call the API from a browser (e.g. `https://app.example`); unset = CORS off', parse: parseOrigins },
  OVERMIND_RATE_LIMIT_PER_MINUTE: { meaning: 'requests per client address per minute, answered `429` above it (probes and metrics are exempt); unset = no limit', parse: wholeNumber(1, 1_000_000) },
  OVERMIND_HSTS_MAX_AGE: { meaning: 'seconds of `Strict-Transport-Security: max-age=…` to send (only behind HTTPS you control; without `includeSubDomains`); unset = no HSTS header', parse: wholeNumber(0, 63_072_000) },
  OVERMIND_DATA_DIR: { meaning: 'where the embedded store keeps its files when no CouchDB is configured', default: './data', parse: text },
  OVERMIND_DATABASE: { meaning: 'database name, in CouchDB and in the embedded store', default: 'zerglings', parse: parseDatabaseName },
  COUCHDB_URL: { meaning: 'CouchDB server URL, may carry `user:password@`; takes precedence over the two below', parse: (value: string) => parseUrl(value, 'COUCHDB_URL') },
  COUCHDB_SERVICE_HOST: { meaning: 'CouchDB host, as Kubernetes injects it for a Service named `couchdb`', parse: parseHost },
  COUCHDB_SERVICE_PORT: { meaning: 'CouchDB port', default: '5984', parse: wholeNumber(1, 65535) },
  COUCHDB_USERNAME: { meaning: 'CouchDB user the service (and bootstrap) authenticates as', parse: text },
  COUCHDB_PASSWORD: { meaning: 'its password', secret: true, parse: text },
  COUCHDB_PASSWORD_FILE: { meaning: 'file holding the password (a mounted Secret); instead of `COUCHDB_PASSWORD`', secret: true, parse: text },
  OVERMIND_COUCHDB_TIMEOUT_MS: { meaning: 'upper bound for one call to CouchDB, in milliseconds', default: '5000', parse: wholeNumber(1, 600_000) },
  OVERMIND_COUCHDB_AUTH: { meaning: '`cookie` (one `_session` login, then its cookie) or `basic` (the password on every request, which CouchDB hashes each time)', default: 'cookie', parse: oneOf(['cookie', 'basic'] as const) },
  COUCHDB_APP_USERNAME: { meaning: 'bootstrap `app-user`: the non-admin user to create for the service', parse: text },
  COUCHDB_APP_PASSWORD: { meaning: 'its password', secret: true, parse: text },
  COUCHDB_APP_PASSWORD_FILE: { meaning: 'file holding it; instead of `COUCHDB_APP_PASSWORD`', secret: true, parse: text },
  OVERMIND_COUCHDB_NODES: { meaning: 'bootstrap `cluster`: how many CouchDB nodes to wait for and join', default: '1', parse: wholeNumber(1, 99) },
  OVERMIND_BOOTSTRAP_TIMEOUT_MS: { meaning: 'bootstrap `wait` and `cluster`: how long to wait for CouchDB and for its nodes, in milliseconds', default: '120000', parse: wholeNumber(0, 3_600_000) },
  OVERMIND_SHUTDOWN_TIMEOUT_MS: { meaning: 'on SIGTERM, how long in-flight requests may take before the process exits', default: '10000', parse: wholeNumber(0, 600_000) }
} satisfies Record<string, Variable<unknown>>

type Name = keyof typeof VARIABLES
type Parsed<N extends Name> = ReturnType<typeof VARIABLES[N]['parse']>

/** The table as the README and the manifest checks read it. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.entries(VARIABLES).map(([name, entry]: [string, Variable<unknown>]) => ({
  name,
  meaning: entry.meaning,
  ...(entry.default === undefined ? {} : { default: entry.default }),
  ...(entry.secret === true ? { secret: true } : {})
}))

export type Env = Readonly<Record<string, string | undefined>>

export interface ConfigOverrides {
  /** From the `--http.addr` flag. */
  httpAddr?: string
}

export function loadConfig (env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const read = <N extends Name>(name: N, override?: string): Parsed<N> | undefined => {
    const entry: Variable<unknown> = VARIABLES[name]
    const given = override ?? value(env, name) ?? entry.default
    return given === undefined ? undefined : entry.parse(given, name) as Parsed<N>
  }
  // Everything is parsed up front, so that a bad value is refused whichever store it is for.
  const http = read('OVERMIND_HTTP_ADDR', overrides.httpAddr)!
  const database = read('OVERMIND_DATABASE')!
  const couchUrl = read('COUCHDB_URL')
  const host = read('COUCHDB_SERVICE_HOST')
  const port = read('COUCHDB_SERVICE_PORT')!
  const requestTimeoutMs = read('OVERMIND_COUCHDB_TIMEOUT_MS')!
  const auth = read('OVERMIND_COUCHDB_AUTH')!
  const username = read('COUCHDB_USERNAME')
  const password = secret(env, 'COUCHDB_PASSWORD')
  const appPassword = secret(env, 'COUCHDB_APP_PASSWORD')
  return {
    http: { ...http, corsOrigins: read('OVERMIND_CORS_ORIGIN') ?? [], rateLimitPerMinute: read('OVERMIND_RATE_LIMIT_PER_MINUTE'), hstsMaxAgeSeconds: read('OVERMIND_HSTS_MAX_AGE') },
    logLevel: read('OVERMIND_LOG_LEVEL')!,
    store: couchUrl === undefined && host === undefined
      ? { kind: 'embedded', dataDir: read('OVERMIND_DATA_DIR')!, database }
      : { kind: 'couchdb', couch: couchConnection({ couchUrl, host, port, username, password, database, requestTimeoutMs, auth }) },
    bootstrap: {
      appUsername: read('COUCHDB_APP_USERNAME'),
      appPassword,
      nodes: read('OVERMIND_COUCHDB_NODES')!,
      waitTimeoutMs: read('OVERMIND_BOOTSTRAP_TIMEOUT_MS')!
    },
    shutdownTimeoutMs: read('OVERMIND_SHUTDOWN_TIMEOUT_MS')!
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

function parseOrigins (list: string): string[] {
  return list.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '').map((origin) => {
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

function parseDatabaseName (name: string): string {
  if (!DATABASE_NAME.test(name)) {
    throw new ConfigError(`OVERMIND_DATABASE must be a CouchDB database name (lowercase letter first, then a-z 0-9 _$()+/-), not ${JSON.stringify(name)}.`)
  }
  return name
}

/** A host name or address as Kubernetes injects it (an IPv6 address gets its brackets here). */
function parseHost (host: string): string {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  let url: URL | undefined
  try {
    url = new URL(`http://${bracketed}`)
  } catch {}
  if (url === undefined || url.host === '' || url.pathname !== '/' || url.username !== '' || url.port !== '') {
    throw new ConfigError(`COUCHDB_SERVICE_HOST must be a host name or address such as couchdb or 10.0.0.7 (no scheme, port or path), not ${JSON.stringify(host)}.`)
  }
  return bracketed
}

interface CouchParts {
  couchUrl?: URL
  host?: string
  port: number
  username?: string
  password?: string
  database: string
  requestTimeoutMs: number
  auth: 'cookie' | 'basic'
}

function couchConnection ({ couchUrl, host, port, username, password, database, requestTimeoutMs, auth }: CouchParts): CouchConnection {
  let url: string
  if (couchUrl !== undefined) {
    // Credentials in the URL are used, then removed, so that the URL can be logged as it is.
    if (couchUrl.username !== '') username ??= decodeURIComponent(couchUrl.username)
    if (couchUrl.password !== '') password ??= decodeURIComponent(couchUrl.password)
    couchUrl.username = ''
    couchUrl.password = ''
    url = couchUrl.toString().replace(/\/+$/, '')
  } else {
    url = `http://${host!}:${port}`
  }
  if (password !== undefined && username === undefined) {
    throw new ConfigError('A CouchDB password is set but no COUCHDB_USERNAME: set both, or neither.')
  }
  return { url, username, password, database, requestTimeoutMs, auth }
}

function parseUrl (text: string, name: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError(`${name} must be an absolute URL such as http://couchdb:5984 (its value is not repeated here because it may hold a password).`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must start with http:// or https://, not ${url.protocol}//.`)
  }
  return url
}

/** A secret from `NAME` or from the file named by `NAME_FILE` (a mounted Kubernetes Secret). */
function secret (env: Env, name: 'COUCHDB_PASSWORD' | 'COUCHDB_APP_PASSWORD'): string | undefined {
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

/** An unset or empty variable counts as absent, as Kubernetes env with `value: ""` would. */
function value (env: Env, name: string): string | undefined {
  const given = env[name]
  return given === undefined || given === '' ? undefined : given
}
