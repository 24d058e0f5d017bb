// SIGTERM must end within the grace period whatever the clients do, and without resetting a
// request a client has just sent on a kept-alive connection.
// - Fastify's close() calls server.close(), which stops accepting and (Node 19+) closes *idle
//   keep-alive* connections at once. A client that picked such a pooled connection for its next
//   request at that moment gets ECONNRESET for a request nobody read (seen in the restart test).
//   So closing waits first, up to a short grace, while every answer says `Connection: close`
//   (app.ts): busy clients move off their connections by themselves, and a request that arrives
//   meanwhile is still served.
// - A connection that never sent a request, or sent half of one, is not idle in Node's sense:
//   it held the shutdown for the whole OVERMIND_SHUTDOWN_TIMEOUT_MS (measured on Node 20.20: exit
//   1 after 8.0 s with an 8 s timeout). So after the grace, every connection with no request in
//   flight is destroyed, and the others close after their last answer. Nothing in flight is cut.
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'

/** How long open connections get to close by themselves once draining starts. */
export const DRAIN_GRACE_MS = 1000

export interface ConnectionDrain {
  /** Resolves once no connection is open, or after `graceMs`. */
  settle (graceMs: number): Promise<void>
  /** Destroys every connection without a request in flight; the others close after their answer. */
  drain (): void
}

export function trackConnections (fastify: FastifyInstance): ConnectionDrain {
  const inFlight = new Map<Socket, number>()
  let allClosed: (() => void) | undefined

  fastify.server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0)
    socket.once('close', () => {
      inFlight.delete(socket)
      if (inFlight.size === 0) allClosed?.()
    })
  })
  fastify.addHook('onRequest', (request, _reply, done) => {
    const socket = request.raw.socket
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1)
    done()
  })
  // A request whose client went away never gets here, but its socket's 'close' forgets it. The
  // socket is not closed here: an answer sent before draining began promised keep-alive, and the
  // client may already have sent its next request on it; one that said `Connection: close` is
  // closed by Node itself.
  fastify.addHook('onResponse', (request, _reply, done) => {
    const socket = request.raw.socket
    const left = inFlight.get(socket)
    if (left !== undefined) inFlight.set(socket, left - 1)
    done()
  })

  return {
    async settle (graceMs) {
      if (inFlight.size === 0) return
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs)
        allClosed = () => { clearTimeout(timer); resolve() }
      })
      allClosed = undefined
    },
    drain () {
      for (const [socket, count] of inFlight) if (count === 0) socket.destroy()
    }
  }
}
