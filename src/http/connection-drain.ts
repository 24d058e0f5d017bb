// SIGTERM must end within the grace period whatever the clients do. Fastify's close() calls
// server.close(), which stops accepting and lets Node close *idle keep-alive* connections; but a
// connection that never sent a request, or sent half of one, is not idle in Node's sense, and it
// held the shutdown for the whole OVERMIND_SHUTDOWN_TIMEOUT_MS (measured on Node 20.20: exit 1
// after 8.0 s with an 8 s timeout, for one silent socket and for one with half a request line).
// So every socket is tracked with the number of its requests in flight: draining destroys the
// ones with none at once, and the others close after their last answer (which carries
// `Connection: close` while draining, see app.ts). Nothing in flight is cut.
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'

export interface ConnectionDrain {
  /** Destroys every connection without a request in flight; later ones close after their answer. */
  drain (): void
}

export function trackConnections (fastify: FastifyInstance): ConnectionDrain {
  const inFlight = new Map<Socket, number>()
  let draining = false

  fastify.server.on('connection', (socket: Socket) => {
    if (draining) {
      socket.destroy()
      return
    }
    inFlight.set(socket, 0)
    socket.once('close', () => inFlight.delete(socket))
  })
  fastify.addHook('onRequest', async (request) => {
    const socket = request.raw.socket
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1)
  })
  // A request whose client went away never gets here, but its socket's 'close' forgets it.
  fastify.addHook('onResponse', async (request) => {
    const socket = request.raw.socket
    const left = inFlight.get(socket)
    if (left === undefined) return
    inFlight.set(socket, left - 1)
    if (draining && left === 1) socket.destroySoon()
  })

  return {
    drain () {
      draining = true
      for (const [socket, count] of inFlight) if (count === 0) socket.destroy()
    }
  }
}
