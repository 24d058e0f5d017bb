// An HTTP server of a test's own on a free port of 127.0.0.1, and a close that does not wait for
// clients to hang up (keep-alive connections would hold it open); and the forwarding the test
// proxies share.
import { request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

export interface Listening { url: string, close: () => Promise<void> }

export async function listenOnLoopback (server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** Sends `req` on to `upstream` as it came (its Host set to upstream's) and hands over the answer. */
export function forwardTo (upstream: URL, req: IncomingMessage, res: ServerResponse, onAnswer: (answer: IncomingMessage) => void): void {
  const forward = request(new URL(req.url ?? '/', upstream), { method: req.method, headers: { ...req.headers, host: upstream.host } }, onAnswer)
  forward.on('error', () => res.destroy())
  req.pipe(forward)
}
