// The one place that reads the environment. One table (VARIABLES) holds each variable's meaning,
// default and parser: loadConfig reads every variable through it — whatever the store, so a bad
// value is refused even where it would not be used — and fails fast with one sentence naming the
// variable; the README's table and the manifest checks read the same entries (CONFIG_VARIABLES).
import { LOG_LEVELS, oneOf, parseDatabaseName, parseDelayRange, parseHost, parseHttpAddr, parseOrigins, parseTrustProxy, parseUrl, share, text, wholeNumber } from './config-parsers.js'
import { readTokenFile } from './token-file.js'
import { ConfigError, type Config, type CouchConnection, type FaultConfig, type TracingConfig } from './config-types.js'
import { readSecretFile } from './secret-file.js'

export * from './config-types.js'
export { parseHttpAddr } from './config-parsers.js'

export interface ConfigVariable { name: string, meaning: string, default?: string, secret?: boolean }

/** One entry of the table: `parse` gets the text (the default when unset) and the name for errors. */
interface Variable<T> {
  meaning: string
  default?: string
  secret?: boolean
  parse: (text: string, name: string) => T
}

const VARIABLES = {
  OVERMIND_HTTP_ADDR: { meaning: 'listen address `host:port` (`:8080` means all interfaces); the flag `--http.addr` (or the original\'s `-http.addr`) overrides it', default: '0.0.0.0:8080', parse: (value: string) => parseHttpAddr(value) },
  OVERMIND_LOG_LEVEL: { meaning: 'fatal, error, warn, info, debug, trace or silent', default: 'info', parse: oneOf(LOG_LEVELS) },
  OVERMIND_CORS_ORIGIN: { meaning: 'comma-separated origins allowed to call the API from a browser (e.g. `https://app.example`); unset = CORS off', parse: parseOrigins },
  OVERMIND_RATE_LIMIT_PER_MINUTE: { meaning: 'requests per client address per minute that each replica allows on its own (three replicas let a client make three times as many), answered `429` above it (probes and metrics are exempt); unset = no limit', parse: wholeNumber(1, 1_000_000) },
  OVERMIND_TRUST_PROXY: { meaning: 'whose `X-Forwarded-For` names the client (the rate limit counts per client address): `true` (every hop; only where nothing reaches the pods but the proxy) or a comma-separated list of the proxies\' addresses and CIDR ranges (`10.0.0.0/8,loopback`); unset = the header is ignored', parse: parseTrustProxy },
  OVERMIND_HSTS_MAX_AGE: { meaning: 'seconds of `Strict-Transport-Security: max-age=…` to send (only behind HTTPS you control; without `includeSubDomains`); unset = no HSTS header', parse: wholeNumber(0, 63_072_000) },
  OVERMIND_METRICS_ADDR: { meaning: '`host:port` to serve `/metrics` on, a listener of its own; the public port then answers `404` there; unset = `/metrics` on the public port', parse: (value: string, name: string) => parseHttpAddr(value, name) },
  OVERMIND_ADMIN_TOKEN_FILE: { meaning: 'file holding the bearer token for `POST /readyz/disable` and `/readyz/enable` (a mounted Secret; re-read when it changes); unset = those endpoints answer `404`', secret: true, parse: readTokenFile },
  OVERMIND_API_TOKEN_FILE: { meaning: 'file holding the bearer token every write (spawn, command, delete) must carry as `Authorization: Bearer …` (a mounted Secret; re-read when it changes); reads stay open; `overmind zerglings` sends it on its writes when it is set; unset = writes need no token', secret: true, parse: readTokenFile },
  OVERMIND_DATA_DIR: { meaning: 'where the embedded store keeps its files when no CouchDB is configured', default: './data', parse: text },
  OVERMIND_DATABASE: { meaning: 'database name, in CouchDB and in the embedded store', default: 'zerglings', parse: parseDatabaseName },
  COUCHDB_URL: { meaning: 'CouchDB server URL, may carry `user:password@`; takes precedence over the two below', parse: (value: string) => parseUrl(value, 'COUCHDB_URL') },
  COUCHDB_SERVICE_HOST: { meaning: 'CouchDB host, as Kubernetes injects it for a Service named `couchdb`', parse: parseHost },
  COUCHDB_SERVICE_PORT: { meaning: 'CouchDB port', default: '5984', parse: wholeNumber(1, 65535) },
  COUCHDB_USERNAME: { meaning: 'CouchDB user the service (and bootstrap) authenticates as', parse: text },
  COUCHDB_PASSWORD: { meaning: 'its password', secret: true, parse: text },
  COUCHDB_PASSWORD_FILE: { meaning: 'file holding the password (a mounted Secret); instead of `COUCHDB_PASSWORD`. `serve` watches it and takes a rotated password without a restart (docs/kubernetes.md, "Rotating the app user\'s password")', secret: true, parse: text },
  OVERMIND_COUCHDB_TIMEOUT_MS: { meaning: 'upper bound for one call to CouchDB, in milliseconds', default: '5000', parse: wholeNumber(1, 600_000) },
  OVERMIND_COUCHDB_AUTH: { meaning: '`cookie` (one `_session` login, then its cookie) or `basic` (the password on every request, which CouchDB hashes each time)', default: 'cookie', parse: oneOf(['cookie', 'basic'] as const) },
  OVERMIND_READS: { meaning: '`couchdb`: every `GET /zerglings/<id>` asks CouchDB (conditionally, `304` without a body, for a zergling the replica remembers); `memory`: a zergling this replica wrote or read is answered from its memory while its reading of CouchDB\'s changes feed vouches for it, so another replica\'s change may show up to the feed\'s delay later (README, "Reads")', default: 'couchdb', parse: oneOf(['couchdb', 'memory'] as const) },
  COUCHDB_APP_USERNAME: { meaning: 'bootstrap `app-user`: the non-admin user to create for the service', parse: text },
  COUCHDB_APP_PASSWORD: { meaning: 'its password', secret: true, parse: text },
  COUCHDB_APP_PASSWORD_FILE: { meaning: 'file holding it; instead of `COUCHDB_APP_PASSWORD`', secret: true, parse: text },
  OVERMIND_COUCHDB_NODES: { meaning: 'bootstrap `cluster`: how many CouchDB nodes to wait for and join', default: '1', parse: wholeNumber(1, 99) },
  OVERMIND_BOOTSTRAP_TIMEOUT_MS: { meaning: 'bootstrap `wait` and `cluster`: how long to wait for CouchDB and for its nodes, in milliseconds', default: '120000', parse: wholeNumber(0, 3_600_000) },
  OVERMIND_SHUTDOWN_TIMEOUT_MS: { meaning: 'on SIGTERM, how long in-flight requests may take before the process exits', default: '10000', parse: wholeNumber(0, 600_000) },
  OVERMIND_FAULT_ERROR_RATE: { meaning: 'fault injection, for demos and chaos runs: the share (0–1) of API requests (paths under `/zerglings`) answered `503 fault_injected` with `Retry-After` before they reach the store; probes, metrics and the pages are never touched; refused with `NODE_ENV=production`', default: '0', parse: share },
  OVERMIND_FAULT_LATENCY: { meaning: 'fault injection: a delay (`100ms`) or range (`50-200ms`) added before each API request is handled; refused with `NODE_ENV=production`', default: '0', parse: parseDelayRange },
  OVERMIND_FAULT_LOST_ANSWER_RATE: { meaning: 'fault injection: the share (0–1) of writes that are stored but answered as if CouchDB had gone away before confirming them (`503 outcome_unknown`), so that a retry with the same `Idempotency-Key` settles them; refused with `NODE_ENV=production`', default: '0', parse: share },
  OVERMIND_TRACING: { meaning: 'OpenTelemetry traces (README, "Traces"): `on` records them even with no exporter (tests, the bench), `off` never, even with an endpoint; unset = on exactly when `OTEL_EXPORTER_OTLP_ENDPOINT` is set', parse: oneOf(['on', 'off'] as const) },
  OTEL_EXPORTER_OTLP_ENDPOINT: { meaning: 'the OTLP/HTTP collector traces are sent to (`http://otel-collector:4318`; `/v1/traces` is appended); the exporter also reads the other standard `OTEL_EXPORTER_OTLP_*` variables (headers, timeout, compression) itself; unset = no exporter', parse: (value: string) => parseUrl(value, 'OTEL_EXPORTER_OTLP_ENDPOINT') },
  OTEL_SERVICE_NAME: { meaning: 'the `service.name` traces carry', default: 'overmind', parse: text },
  OVERMIND_URL: { meaning: '`overmind zerglings`: the service to talk to; the flag `--url` overrides it', default: 'http://localhost:8080', parse: (value: string) => parseUrl(value, 'OVERMIND_URL') }
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
  /** From `overmind zerglings --url`. */
  clientUrl?: string
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
  const reads = read('OVERMIND_READS')!
  const username = read('COUCHDB_USERNAME')
  const password = secret(env, 'COUCHDB_PASSWORD')
  const appPassword = secret(env, 'COUCHDB_APP_PASSWORD')
  return {
    http: { ...http, corsOrigins: read('OVERMIND_CORS_ORIGIN') ?? [], rateLimitPerMinute: read('OVERMIND_RATE_LIMIT_PER_MINUTE'), hstsMaxAgeSeconds: read('OVERMIND_HSTS_MAX_AGE'), trustProxy: read('OVERMIND_TRUST_PROXY') },
    access: { adminTokenFile: read('OVERMIND_ADMIN_TOKEN_FILE')?.file, apiTokenFile: read('OVERMIND_API_TOKEN_FILE')?.file, metricsAddr: read('OVERMIND_METRICS_ADDR') },
    logLevel: read('OVERMIND_LOG_LEVEL')!,
    store: couchUrl === undefined && host === undefined
      ? { kind: 'embedded', dataDir: read('OVERMIND_DATA_DIR')!, database }
      : { kind: 'couchdb', couch: { ...couchConnection({ couchUrl, host, port, username, password, database, requestTimeoutMs, auth }), ...secretFile(env, 'COUCHDB_PASSWORD', 'passwordFile') }, reads },
    bootstrap: {
      appUsername: read('COUCHDB_APP_USERNAME'),
      appPassword,
      ...secretFile(env, 'COUCHDB_APP_PASSWORD', 'appPasswordFile'),
      nodes: read('OVERMIND_COUCHDB_NODES')!,
      waitTimeoutMs: read('OVERMIND_BOOTSTRAP_TIMEOUT_MS')!
    },
    shutdownTimeoutMs: read('OVERMIND_SHUTDOWN_TIMEOUT_MS')!,
    tracing: tracingOf(read('OVERMIND_TRACING'), read('OTEL_EXPORTER_OTLP_ENDPOINT'), read('OTEL_SERVICE_NAME')!),
    faults: faultsAllowed(env, { errorRate: read('OVERMIND_FAULT_ERROR_RATE')!, latency: latencyOf(read('OVERMIND_FAULT_LATENCY')!), lostAnswerRate: read('OVERMIND_FAULT_LOST_ANSWER_RATE')! }),
    client: { url: read('OVERMIND_URL', overrides.clientUrl)!.toString().replace(/\/+$/, '') }
  }
}

/** Traces are on when asked for, or when there is somewhere to send them (and not turned off). */
function tracingOf (switched: 'on' | 'off' | undefined, endpoint: URL | undefined, serviceName: string): TracingConfig {
  return { enabled: switched === undefined ? endpoint !== undefined : switched === 'on', exporter: endpoint === undefined ? 'none' : 'otlp', serviceName }
}

/** The fault variables that are on, by name (an empty list: no fault is injected). */
export function faultsOn (faults: FaultConfig): string[] {
  return [
    ...(faults.errorRate > 0 ? ['OVERMIND_FAULT_ERROR_RATE'] : []),
    ...(faults.latency !== undefined ? ['OVERMIND_FAULT_LATENCY'] : []),
    ...(faults.lostAnswerRate > 0 ? ['OVERMIND_FAULT_LOST_ANSWER_RATE'] : [])
  ]
}

/** A fault is for a demo or a chaos run, never for production: set by mistake, it would fail real users. */
function faultsAllowed (env: Env, faults: FaultConfig): FaultConfig {
  const on = faultsOn(faults)
  if (on.length > 0 && value(env, 'NODE_ENV') === 'production') {
    throw new ConfigError(`${on.join(', ')} injects faults, which is refused with NODE_ENV=production: unset ${on.length === 1 ? 'it' : 'them'} (or set ${on.length === 1 ? 'it' : 'them'} to 0).`)
  }
  return faults
}

function latencyOf (range: { minMs: number, maxMs: number }): FaultConfig['latency'] {
  return range.maxMs === 0 ? undefined : range
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

/**
 * A CouchDB database named by a URL, `http://host:5984/zerglings` (`overmind migrate --to` and
 * `--from`): credentials from the URL, else COUCHDB_USERNAME and COUCHDB_PASSWORD(_FILE). The
 * URL that comes back has no credentials, so it may be printed as it is.
 */
export function couchDatabaseAt (text: string, flag: string, env: Env = process.env): CouchConnection {
  const url = parseUrl(text, flag)
  const segments = url.pathname.replace(/\/+$/, '').split('/')
  const database = decodeURIComponent(segments.pop() ?? '')
  if (database === '') throw new ConfigError(`${flag} must name the database too, as in http://couchdb:5984/zerglings.`)
  parseDatabaseName(database, `${flag}'s database`)
  const username = url.username !== '' ? decodeURIComponent(url.username) : value(env, 'COUCHDB_USERNAME')
  const password = url.password !== '' ? decodeURIComponent(url.password) : secret(env, 'COUCHDB_PASSWORD')
  if (password !== undefined && username === undefined) throw new ConfigError(`A password is set for ${flag} but no user name: set COUCHDB_USERNAME, or put user:password@ in the URL.`)
  url.username = ''
  url.password = ''
  url.pathname = segments.join('/')
  url.search = ''
  const requestTimeoutMs = VARIABLES.OVERMIND_COUCHDB_TIMEOUT_MS.parse(value(env, 'OVERMIND_COUCHDB_TIMEOUT_MS') ?? VARIABLES.OVERMIND_COUCHDB_TIMEOUT_MS.default, 'OVERMIND_COUCHDB_TIMEOUT_MS')
  return { url: url.toString().replace(/\/+$/, ''), username, password, database, requestTimeoutMs }
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
    return readSecretFile(file)
  } catch (error) {
    throw new ConfigError(`${name}_FILE names ${JSON.stringify(file)}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
}

/** `{ [key]: path }` when the secret came from `NAME_FILE` (the store watches it), else nothing. */
function secretFile<K extends string> (env: Env, name: 'COUCHDB_PASSWORD' | 'COUCHDB_APP_PASSWORD', key: K): Partial<Record<K, string>> {
  const file = value(env, `${name}_FILE`)
  return file === undefined ? {} : { [key]: file } as Partial<Record<K, string>>
}

/** An unset or empty variable counts as absent, as Kubernetes env with `value: ""` would. */
function value (env: Env, name: string): string | undefined {
  const given = env[name]
  return given === undefined || given === '' ? undefined : given
}
