// The parsers of config.ts's table: each takes a variable's text and returns its value or throws a
// ConfigError naming the variable. No environment is read here (config.ts does that, once).
import { isIP } from 'node:net'
import { ConfigError, type LogLevel, type TrustProxy } from './config-types.js'

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
// https://docs.couchdb.org/en/stable/api/database/common.html#put--db
const DATABASE_NAME = /^[a-z][a-z0-9_$()+/-]*$/

export const text = (value: string): string => value

export function wholeNumber (min: number, max: number): (value: string, name: string) => number {
  return (value, name) => {
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN
    if (!(parsed >= min && parsed <= max)) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}.`)
    return parsed
  }
}

export function oneOf<T extends string> (choices: readonly T[]): (value: string, name: string) => T {
  return (value, name) => {
    const found = choices.find((choice) => choice === value.toLowerCase())
    if (found === undefined) throw new ConfigError(`${name} must be one of ${choices.join(', ')}, not ${JSON.stringify(value)}.`)
    return found
  }
}

/** Accepts `host:port`, `:port` (all interfaces, as Go writes it) and `[ipv6]:port`. */
export function parseHttpAddr (addr: string, name = 'OVERMIND_HTTP_ADDR (or --http.addr)'): { host: string, port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr.trim())
  const port = match === null ? NaN : Number(match[3])
  if (match === null || port > 65535) {
    throw new ConfigError(`${name} must look like "0.0.0.0:8080" or ":8080", not ${JSON.stringify(addr)}.`)
  }
  const host = match[1] ?? match[2] ?? ''
  return { host: host === '' ? '0.0.0.0' : host, port }
}

// The names proxy-addr (Fastify's trustProxy) knows for address ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/**
 * OVERMIND_TRUST_PROXY, in two of the forms Fastify's `trustProxy` takes
 * (https://fastify.dev/docs/latest/Reference/Server/#trustproxy): `true` (every hop: the leftmost
 * X-Forwarded-For address is the client), or a comma-separated list of the proxies' addresses and
 * CIDR ranges (`10.0.0.0/8,loopback`; X-Forwarded-For is then read right to left up to the first
 * address not in the list). No hop count: Fastify 5.8 accepts one but then trusts no hop at all
 * (lib/request.js, "fail closed"), so a number is refused here rather than silently ignored.
 */
export function parseTrustProxy (value: string, name: string): TrustProxy {
  const given = value.trim().toLowerCase()
  if (given === 'true') return true
  if (given === 'false') return false
  return given.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry) => {
    const [address = '', prefix, ...rest] = entry.split('/')
    const family = isIP(address)
    const validPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32))
    if (PROXY_RANGE_NAMES.has(entry) || (family !== 0 && validPrefix && rest.length === 0)) return entry
    throw new ConfigError(`${name} must be true or a comma-separated list of the proxies' addresses or CIDR ranges (e.g. 10.0.0.0/8,loopback), not ${JSON.stringify(entry)}.`)
  })
}

export function parseOrigins (list: string): string[] {
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

export function parseDatabaseName (name: string, what = 'OVERMIND_DATABASE'): string {
  if (!DATABASE_NAME.test(name)) {
    throw new ConfigError(`${what} must be a CouchDB database name (lowercase letter first, then a-z 0-9 _$()+/-), not ${JSON.stringify(name)}.`)
  }
  return name
}

/** A host name or address as Kubernetes injects it (an IPv6 address gets its brackets here). */
export function parseHost (host: string): string {
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

export function parseUrl (text: string, name: string): URL {
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

/** A share from 0 to 1 (`0.3`, `.3`, `1`); 0 is off. */
export function share (value: string, name: string): number {
  const parsed = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value) ? Number(value) : NaN
  if (!(parsed >= 0 && parsed <= 1)) throw new ConfigError(`${name} must be a share from 0 to 1 such as 0.3, not ${JSON.stringify(value)}.`)
  return parsed
}

/** The longest delay a fault may add: past it a request would outlive any client's patience. */
const LONGEST_DELAY_MS = 60_000

/** A delay or a range of delays, `100ms` or `50-200ms` (`ms` or `s`, whole numbers); `0` is off. */
export function parseDelayRange (value: string, name: string): { minMs: number, maxMs: number } {
  const match = /^(\d+)(?:\s*-\s*(\d+))?\s*(ms|s)$/.exec(value.trim())
  const unit = match?.[3] === 's' ? 1000 : 1
  const minMs = match === null ? NaN : Number(match[1]) * unit
  const maxMs = match === null ? NaN : Number(match[2] ?? match[1]) * unit
  if (value.trim() === '0') return { minMs: 0, maxMs: 0 }
  if (!(minMs <= maxMs && maxMs <= LONGEST_DELAY_MS)) {
    throw new ConfigError(`${name} must be a delay such as 100ms or a range such as 50-200ms (at most ${LONGEST_DELAY_MS / 1000} s), not ${JSON.stringify(value)}.`)
  }
  return { minMs, maxMs }
}
