// A plain HTTP proxy in front of the service that can swap the service's answer for another after
// the service handled the request: a 503 for a command the service did apply is what a client
// sees when a gateway, or the service itself (`outcome_unknown`), loses an answer. It can also
// hold requests (never forwarding them), to stop a client at a known point, and it records each
// request's method, path and Idempotency-Key, to show what a client sent again.
import { createServer } from 'node:http'
import { forwardTo, listenOnLoopback } from './loopback-server.js'

export interface SeenRequest { method: string, path: string, idempotencyKey?: string }

export interface Replacement { status: number, headers?: Record<string, string>, body: string }

export interface AnswerProxy {
  url: string
  requests: SeenRequest[]
  /** The next `n` requests whose method is `method` get `replacement` instead of the service's answer. */
  replaceNext (n: number, method: string, replacement: Replacement): void
  /** From the `n`th request whose path ends with `pathEnd` on, requests are held, not forwarded. */
  holdFrom (n: number, pathEnd: string): void
  /** Resolves once a request is being held. */
  holding: () => Promise<void>
  close (): Promise<void>
}

export async function startAnswerProxy (target: string): Promise<AnswerProxy> {
  const upstream = new URL(target)
  const requests: SeenRequest[] = []
  let pending: { n: number, method: string, replacement: Replacement } | undefined
  let hold: { n: number, pathEnd: string } | undefined
  let held = (): void => {}
  const holdingNow = new Promise<void>((resolve) => { held = resolve })
  const server = createServer((req, res) => {
    const key = req.headers['idempotency-key']
    const path = (req.url ?? '/').split('?')[0]!
    requests.push({ method: req.method ?? 'GET', path, ...(typeof key === 'string' ? { idempotencyKey: key } : {}) })
    if (hold !== undefined && path.endsWith(hold.pathEnd) && --hold.n <= 0) {
      held()
      return
    }
    const swap = pending !== undefined && pending.n > 0 && pending.method === req.method ? pending.replacement : undefined
    if (swap !== undefined) pending!.n--
    forwardTo(upstream, req, res, (answer) => {
      if (swap === undefined) {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
        return
      }
      answer.resume()
      answer.on('end', () => {
        res.writeHead(swap.status, { 'content-type': 'application/json', ...swap.headers })
        res.end(swap.body)
      })
    })
  })
  const listening = await listenOnLoopback(server)
  return {
    url: listening.url,
    requests,
    replaceNext (n, method, replacement) { pending = { n, method, replacement } },
    holdFrom (n, pathEnd) { hold = { n, pathEnd } },
    holding: async () => { await holdingNow },
    close: listening.close
  }
}
