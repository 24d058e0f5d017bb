// The few CouchDB server calls bootstrap makes, over Node's fetch rather than the store's client
// (src/store/couch-http.ts): bootstrap decides on exact status codes (412 vs 201/202, `500
// conflict`, 401 on a brand-new admin), switches credentials per request (admin, anonymous, the app
// user), talks to server-level endpoints (`/_session`, `/_node/*/_config`, `/_cluster_setup`), and
// makes a few dozen calls in a run, so a call's CPU does not matter. Credentials go in an
// Authorization header, never in a URL, so no error can echo them; every message is still scrubbed
// by the runner.
import { BootstrapError } from './bootstrap-error.js'

export type Credentials = { name: string, password: string } | 'anonymous'

export interface CouchResponse {
  status: number
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty (HEAD). */
  body: unknown
}

export interface RequestOptions {
  auth: Credentials
  /** Sent as its JSON text. */
  body?: unknown
  timeoutMs?: number
}

export interface CouchClient {
  readonly url: string
  request: (method: string, path: string, options: RequestOptions) => Promise<CouchResponse>
}

export function createCouchClient (url: string, requestTimeoutMs: number): CouchClient {
  const base = url.replace(/\/+$/, '')
  return {
    url: base,
    async request (method, path, { auth, body, timeoutMs }) {
      const headers: Record<string, string> = { accept: 'application/json' }
      if (auth !== 'anonymous') {
        headers.authorization = 'Basic ' + Buffer.from(`${auth.name}:${auth.password}`).toString('base64')
      }
      if (body !== undefined) headers['content-type'] = 'application/json'
      let response: Response
      try {
        response = await fetch(base + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs ?? requestTimeoutMs)
        })
      } catch (error) {
        throw new CouchUnreachable(`CouchDB at ${base} did not answer ${method} ${path}: ${networkReason(error)}.`, { cause: error })
      }
      const text = await response.text()
      return { status: response.status, body: parseBody(text) }
    }
  }
}

/** No HTTP answer at all (refused, reset, timed out): worth retrying while waiting for a node. */
export class CouchUnreachable extends BootstrapError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CouchUnreachable'
  }
}

function parseBody (text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** `ECONNREFUSED`, `timed out after 5000 ms`... from fetch's nested causes. */
function networkReason (error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time'
  const cause = (error as { cause?: { code?: string, message?: string } } | undefined)?.cause
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
}

/** `412 file_exists: The database could not be created...` for messages. */
export function describeResponse (response: CouchResponse): string {
  const body = response.body as { error?: unknown, reason?: unknown } | undefined
  if (typeof body === 'object' && body !== null && typeof body.error === 'string') {
    return `${response.status} ${body.error}${typeof body.reason === 'string' && body.reason !== '' ? ': ' + body.reason : ''}`
  }
  return String(response.status)
}
