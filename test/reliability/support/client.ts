// The reliability suite's HTTP client: node:http, as curl would talk (no retries, no pooling
// surprises), a hard per-request deadline so nothing hangs, and never a throw — a failed request
// is an answer with status 0 and the error's code. Every answer is counted in the ledger and
// searched for the sentinel password.
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import { ledger } from './ledger.js'
import { scanAnswerForSecrets } from './secrets.js'

export interface Answer {
  /** 0 when no HTTP answer came (refused, reset, timed out). */
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** The error code when status is 0: ECONNREFUSED, ECONNRESET, TIMEOUT… */
  error?: string
  /** True when the request was written whole before the failure (an in-flight failure). */
  wasSent: boolean
  ms: number
  json: () => any
}

export interface SendOptions {
  method?: string
  body?: string | Buffer
  headers?: Record<string, string>
  timeoutMs?: number
  /** A keep-alive agent to reuse connections; default: one connection per request. */
  agent?: Agent
  /**
   * The caller judges a connection reset itself and counts it in the ledger (the restarts test,
   * which can tell from the replica's own log whether a reset request was ever read).
   */
  resetJudgedByCaller?: boolean
}

export async function send (url: string, options: SendOptions = {}): Promise<Answer> {
  const started = Date.now()
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST')
  const headers: Record<string, string> = { ...options.headers }
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json'
    headers['content-length'] = String(typeof options.body === 'string' ? Buffer.byteLength(options.body) : options.body.length)
  }
  const answer = await new Promise<Answer>((resolve) => {
    let wasSent = false
    let settled = false
    const finish = (partial: Omit<Answer, 'ms' | 'json' | 'wasSent'>): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ...partial, wasSent, ms: Date.now() - started, json: () => JSON.parse(partial.body) })
    }
    const req = request(url, { method, headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks as unknown as Uint8Array[]).toString('utf8') }))
      res.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, headers: res.headers, body: '', error: error.code ?? 'ERESPONSE' }))
    })
    const timer = setTimeout(() => {
      finish({ status: 0, headers: {}, body: '', error: 'TIMEOUT' })
      req.destroy()
    }, options.timeoutMs ?? 30_000)
    req.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, headers: {}, body: '', error: error.code ?? error.message }))
    req.end(options.body, () => { wasSent = true })
  })
  countAnswer(url, answer, options.resetJudgedByCaller === true)
  return answer
}

function countAnswer (url: string, answer: Answer, resetJudgedByCaller: boolean): void {
  const judgedElsewhere = resetJudgedByCaller && answer.error === 'ECONNRESET'
  ledger.add({
    sent: 1,
    acknowledged: answer.status >= 200 && answer.status < 300 ? 1 : 0,
    // A reset after the whole request was written is an in-flight failure, as bad as a 500.
    serverErrors: (answer.status >= 500 && answer.status !== 503) || (answer.status === 0 && answer.wasSent && answer.error !== 'ECONNREFUSED' && !judgedElsewhere) ? 1 : 0
  })
  const { pathname } = new URL(url)
  scanAnswerForSecrets(`the answer to ${pathname.slice(0, 80)}`, answer.body + JSON.stringify(answer.headers))
}

/** `status` of an answer as a word for failure messages: 200, 503 busy, ECONNRESET… */
export function describeAnswer (answer: Answer): string {
  if (answer.status === 0) return answer.error ?? 'no answer'
  let code = ''
  try { code = String(answer.json().error ?? '') } catch {}
  return code === '' ? String(answer.status) : `${answer.status} ${code}`
}
