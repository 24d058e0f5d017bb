// Request context, replies and the parsing rules CouchDB applies to bodies and query strings.
import type { IncomingMessage } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { CouchError, couchErrors } from './errors.js'
import type { NodeState } from './node-state.js'
import type { DoubleState } from './state.js'

export interface UserCtx { name: string | null, roles: string[] }

export interface Ctx {
  readonly req: IncomingMessage
  readonly method: string
  /** Decoded path segments: `/a%2Fb/c` → ['a/b', 'c']. */
  readonly parts: string[]
  readonly query: URLSearchParams
  readonly body: Buffer
  readonly user: UserCtx
  /** Which handler authenticated the request ('cookie' | 'default'), if any. */
  readonly authenticatedBy?: string
  readonly state: DoubleState
  /** The node whose listener received the request (`/_node/_local`). */
  readonly node: NodeState
  /** Counts a failed password check (the double's `authFailures`). */
  readonly countAuthFailure: () => void
  /** Resolves when the client goes away (longpoll and continuous feeds stop waiting). */
  readonly closed: Promise<void>
  /** Records that this request changed stored state (for the `writes` counter). */
  markWrite: () => void
}

export interface Reply {
  status: number
  /** JSON value sent as the body; `undefined` = no body. */
  body?: unknown
  /** Raw text body instead of JSON (continuous feeds). */
  text?: string
  headers?: Record<string, string>
  /** Streams a text body (continuous feeds); `closed` resolves when the client goes away. */
  stream?: (write: (chunk: string) => void, closed: Promise<void>) => Promise<void>
  /** Send only `headers` (no content-type, no cache-control): 304 answers. */
  bare?: boolean
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({ status, body, headers })

export const isAdmin = (user: UserCtx): boolean => user.roles.includes('_admin')

export function requireServerAdmin (ctx: Ctx): void {
  if (!isAdmin(ctx.user)) throw couchErrors.notServerAdmin()
}

/** `allowed` is CouchDB's own list, e.g. 'GET,HEAD'. */
export function allowMethods (ctx: Ctx, allowed: string): void {
  const list = allowed.split(',')
  if (!list.includes(ctx.method)) throw couchErrors.methodNotAllowed(allowed)
}

/**
 * Parses the body as JSON the way CouchDB does ("invalid UTF-8 JSON" for empty or broken bodies),
 * gunzipped first when it says `Content-Encoding: gzip`, as the IBM Cloudant SDK (couchbackup)
 * sends it (chttpd.erl `maybe_decompress`: gzip or identity, anything else 415).
 */
export function parseJsonBody (ctx: Ctx): unknown {
  const encoding = ctx.req.headers['content-encoding'] ?? 'identity'
  let body = ctx.body
  if (encoding === 'gzip') {
    try {
      body = gunzipSync(body as unknown as Uint8Array)
    } catch {
      throw couchErrors.badRequest('Request body is not properly gzipped.')
    }
  } else if (encoding !== 'identity') {
    throw new CouchError(415, 'bad_content_type', `${encoding} is not a supported content encoding.`)
  }
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw couchErrors.invalidJson()
  }
}

/** POST endpoints that insist on `Content-Type: application/json` (PUT does not check). */
export function requireJsonContentType (ctx: Ctx): void {
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (type !== 'application/json') throw couchErrors.badContentType()
}

export function parseJsonObjectBody (ctx: Ctx, reason = 'Request body must be a JSON object'): Record<string, unknown> {
  const value = parseJsonBody(ctx)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw couchErrors.badRequest(reason)
  return value as Record<string, unknown>
}

export function boolParam (query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name)
  if (value === null) return undefined
  if (value === 'true') return true
  if (value === 'false') return false
  throw couchErrors.queryParse(`Invalid boolean parameter: "${value}"`)
}

export function positiveIntParam (query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name)
  if (value === null) return undefined
  if (!/^-?\d+$/.test(value)) throw couchErrors.queryParse(`Invalid value for integer: "${value}"`)
  const n = Number(value)
  if (n < 0) throw couchErrors.queryParse(`Invalid value for positive integer: "${value}"`)
  return n
}

/** Query values such as `startkey` are JSON (`startkey=cherry` unquoted is a 400). */
export function jsonParam (query: URLSearchParams, ...names: string[]): unknown {
  for (const name of names) {
    const value = query.get(name)
    if (value === null) continue
    try {
      return JSON.parse(value)
    } catch {
      throw couchErrors.invalidJson()
    }
  }
  return undefined
}
