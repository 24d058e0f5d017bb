// A TCP proxy that can be cut: every connection through it is destroyed and new ones are refused
// (the port stops listening), then it listens again on the same port. A CouchDB outage as the
// service sees it, against the double or a real CouchDB alike.
import { createServer, connect, type Server, type Socket } from 'node:net'

export interface CuttableProxy {
  url: string
  cut (): Promise<void>
  restore (): Promise<void>
  close (): Promise<void>
}

export async function startCuttableProxy (target: string): Promise<CuttableProxy> {
  const upstream = new URL(target)
  const sockets = new Set<Socket>()
  const track = (socket: Socket): void => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  }
  const server: Server = createServer((client) => {
    const server = connect(Number(upstream.port), upstream.hostname)
    track(client)
    track(server)
    client.pipe(server).pipe(client)
    client.on('close', () => server.destroy())
    server.on('close', () => client.destroy())
  })
  const listen = async (port: number): Promise<number> => await new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
  })
  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }
  const port = await listen(0)
  return {
    url: `http://127.0.0.1:${port}`,
    cut: stop,
    async restore () { await listen(port) },
    async close () { if (server.listening) await stop() }
  }
}
