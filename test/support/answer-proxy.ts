// A plain HTTP proxy in front of the service that can swap the service's answer for another after
// the service handled the request: a 503 for a command the service did apply is what a client
// sees when a gateway, or the service itself (`outcome_unknown`), loses an answer. It also records
// each request's method, path and Idempotency-Key, to show what a client sent again.
import { createServer, request } from 'node:http'

export interface SeenRequest { method: string, path: string, idempotencyKey?: string }

export interface Replacement { status: number, headers?: Record<string, string>, body: string }

export interface AnswerProxy {
  url: string
  requests: SeenRequest[]
  /** The next `n` requests whose method is `method` get `replacement` instead of the service's answer. */
  replaceNext (n: number, method: string, replacement: Replacement): void
  close (): Promise<void>
}

export async function startAnswerProxy (target: string): Promise<AnswerProxy> {
  const upstream = new URL(target)
  const requests: SeenRequest[] = []
  let pending: { n: number, method: string, replacement: Replacement } | undefined
  const server = createServer((req, res) => {
    const key = req.headers['idempotency-key']
    requests.push({ method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, ...(typeof key === 'string' ? { idempotencyKey: key } : {}) })
    const swap = pending !== undefined && pending.n > 0 && pending.method === req.method ? pending.replacement : undefined
    if (swap !== undefined) pending!.n--
    const forward = request(new URL(req.url ?? '/', upstream), { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
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
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    replaceNext (n, method, replacement) { pending = { n, method, replacement } },
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
