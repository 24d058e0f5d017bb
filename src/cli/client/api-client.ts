// The HTTP side of `overmind zerglings`: one call = one logical request, retried within the
// command's deadline (--timeout) when the service says so (503, 429 with Retry-After) and, for a
// request that is safe to repeat, when the connection was lost after the request went out. A
// write carries an Idempotency-Key generated once per logical request, so a retried `move` or
// `spawn` is applied once (README, "Nothing lost, nothing doubled").
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { CliFailure, EXIT } from './failure.js'
import { retryAfterMs } from './retry-after.js'

export interface ApiClientOptions {
  /** `http://host:port`, without a trailing slash */
  baseUrl: string
  /** The whole command's budget, retries included. */
  timeoutMs: number
  /** Where a retry is told (stderr): never stdout, which carries results only. */
  notice: (line: string) => void
  /** OVERMIND_API_TOKEN_FILE's token: sent as `Authorization: Bearer` on writes, never printed. */
  token?: string
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'DELETE'
  /** Path and query, e.g. `/zerglings/?limit=1000`. */
  path: string
  /** Sent as JSON. */
  body?: unknown
  /** Send an Idempotency-Key (the same one on every retry). */
  keyed?: boolean
}

export interface ApiAnswer {
  status: number
  headers: Headers
  /** The answer's JSON, as the service sent it. */
  body: unknown
}

export interface ApiClient {
  readonly baseUrl: string
  send (request: ApiRequest): Promise<ApiAnswer>
  /** Milliseconds left of the budget. */
  remainingMs (): number
}

/** Connection failures after which the request may have reached the service. */
const LOST_AFTER_SENDING = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])
const LOST_RETRY_MS = 500

export function createApiClient ({ baseUrl, timeoutMs, notice, token }: ApiClientOptions): ApiClient {
  const deadline = Date.now() + timeoutMs
  const remainingMs = (): number => deadline - Date.now()

  async function send ({ method, path, body, keyed = false }: ApiRequest): Promise<ApiAnswer> {
    const key = keyed ? `overmind-cli-${randomUUID()}` : undefined
    const headers: Record<string, string> = { accept: 'application/json' }
    if (key !== undefined) headers['idempotency-key'] = key
    if (body !== undefined) headers['content-type'] = 'application/json'
    // Reads stay open on a protected service; only writes need (and so get) the token.
    if (token !== undefined && method !== 'GET') headers.authorization = `Bearer ${token}`
    const what = `${method} ${path.split('?')[0]!}`
    for (;;) {
      let response: Response
      let text: string
      try {
        response = await fetch(baseUrl + path, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(Math.max(1, remainingMs()))
        })
        text = await response.text()
      } catch (error) {
        const failure = connectionFailure(error, baseUrl, timeoutMs)
        const repeatable = method === 'GET' || key !== undefined
        if (repeatable && LOST_AFTER_SENDING.has(errorCode(error) ?? '') && remainingMs() > LOST_RETRY_MS) {
          notice(`${what}: the connection was lost before the answer; trying again${key === undefined ? '' : ' with the same Idempotency-Key'}`)
          await sleep(LOST_RETRY_MS)
          continue
        }
        throw failure
      }
      const answer = parseAnswer(response, text, what)
      if (response.status === 503 || response.status === 429) {
        const waitMs = retryAfterMs(response.headers.get('retry-after'))
        if (waitMs < remainingMs()) {
          notice(`${what}: ${failureText(answer.body, response.status)}; trying again in ${Math.ceil(waitMs / 1000)} s${key === undefined ? '' : ' with the same Idempotency-Key'}`)
          await sleep(waitMs)
          continue
        }
      }
      if (response.status >= 400) {
        const error = (answer.body as { error?: unknown } | null)?.error
        throw new CliFailure(EXIT.answeredError, failureText(answer.body, response.status), { status: response.status, ...(typeof error === 'string' ? { error } : {}) })
      }
      return answer
    }
  }

  return { baseUrl, send, remainingMs }
}

function parseAnswer (response: Response, text: string, what: string): ApiAnswer {
  try {
    return { status: response.status, headers: response.headers, body: JSON.parse(text) }
  } catch {
    throw new CliFailure(EXIT.answeredError, `${what} answered ${response.status} with something that is not JSON: is --url an overmind service?`)
  }
}

/** `reason (status error)`, as the service words its errors. */
export function failureText (body: unknown, status: number): string {
  const { error, reason } = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown, reason?: unknown }
  const code = typeof error === 'string' ? ` ${error}` : ''
  return `${typeof reason === 'string' ? reason : 'The service answered an error.'} (${status}${code})`
}

/** undici's fetch puts the socket's error in `cause` (an AggregateError when several addresses were tried). */
function errorCode (error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown, errors?: Array<{ code?: unknown }> } }).cause
  const code = cause?.code ?? cause?.errors?.[0]?.code
  return typeof code === 'string' ? code : undefined
}

/** A failure to get any answer, as exit code 3 with a sentence naming the URL (never a password). */
export function connectionFailure (error: unknown, baseUrl: string, timeoutMs: number): CliFailure {
  if ((error as { name?: string }).name === 'TimeoutError') {
    return new CliFailure(EXIT.unreachable, `${baseUrl} did not answer within ${timeoutMs / 1000} s (--timeout).`)
  }
  const code = errorCode(error)
  const cause = (error as { cause?: { message?: unknown } }).cause
  const why = code === 'ECONNREFUSED'
    ? 'connection refused: is the service running?'
    : code === 'ENOTFOUND' ? 'no such host' : code ?? (typeof cause?.message === 'string' ? cause.message : (error as Error).message)
  return new CliFailure(EXIT.unreachable, `${baseUrl} cannot be reached (${why}).`)
}
