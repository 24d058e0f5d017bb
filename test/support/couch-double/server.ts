// The HTTP side of one node: its node:http listener, request context, CouchDB's standard headers,
// and the fault knobs (latency, the latency model's queue and cut responses shared by all nodes;
// stop/start on the same port and the freeze gate per node).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { authenticate } from './auth.js'
import { CouchError } from './errors.js'
import { createFreezeGate, type FreezeGate } from './freeze-gate.js'
import type { Ctx, Reply } from './http-kit.js'
import { requestKind } from './latency-model.js'
import type { LatencyQueue } from './latency-queue.js'
import type { NodeState } from './node-state.js'
import { route } from './router.js'
import type { DoubleState } from './state.js'

export interface Counters {
  writes: number
  requests: Array<{ method: string, path: string, status: number }>
  authFailures: number
}

/** Shared by every node's listener. */
export interface Faults {
  latencyMs: number
  cutNext: number
  /** The CouchDB latency model's queue, when it is on (one machine: every node's requests share it). */
  latencyModel?: LatencyQueue
}

export interface DoubleServer {
  listen (port: number): Promise<number>
  stop (): Promise<void>
  readonly gate: FreezeGate
}

const MUTATING = new Set(['PUT', 'POST', 'DELETE', 'COPY'])

export function createDoubleServer (state: DoubleState, node: NodeState, counters: Counters, faults: Faults): DoubleServer {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  const control: DoubleServer = {
    gate: createFreezeGate(),
    async listen (port) {
      // CouchDB (mochiweb) refuses request lines and headers over 8 KiB with an empty 400.
      const listener = createServer({ maxHeaderSize: 8192 }, (req, res) => { handle(req, res).catch(() => res.destroy()) })
      listener.on('connection', (socket) => {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
      })
      listener.on('clientError', (_err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
        else socket.destroy()
      })
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject)
        listener.listen(port, '127.0.0.1', () => resolve())
      })
      server = listener
      const address = listener.address()
      return typeof address === 'object' && address !== null ? address.port : port
    },
    async stop () {
      const listener = server
      server = undefined
      if (listener === undefined) return
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      sockets.clear()
      await closed
    },
  }

  const countAuthFailure = (): void => { counters.authFailures += 1 }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    const rawUrl = req.url ?? '/'
    const queryAt = rawUrl.indexOf('?')
    const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt)
    const closed = new Promise<void>((resolve) => res.on('close', () => resolve()))
    let wrote = false
    let reply: Reply
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const leave = await control.gate.enter()
    if (leave === undefined) return
    const kind = faults.latencyModel === undefined ? undefined : requestKind(method, path.split('/').filter((part) => part !== ''))
    const modelled = kind === undefined ? undefined : faults.latencyModel?.admit(kind)
    try {
      if (faults.latencyMs > 0) await sleep(faults.latencyMs)
      const parts = path.split('/').slice(1).filter((part, i, all) => part !== '' || i < all.length - 1)
      let decoded: string[]
      try {
        decoded = parts.map((part) => decodeURIComponent(part))
      } catch {
        throw new CouchError(400, 'bad_request', 'Invalid URL encoding')
      }
      const auth = await authenticate({ state, node, req, onFailure: countAuthFailure })
      const ctx: Ctx = {
        req,
        method,
        parts: decoded.filter((part) => part !== ''),
        query: new URLSearchParams(queryAt < 0 ? '' : rawUrl.slice(queryAt + 1)),
        body: Buffer.concat(chunks as unknown as Uint8Array[]),
        user: auth.user,
        authenticatedBy: auth.by,
        state,
        node,
        countAuthFailure,
        closed,
        markWrite: () => { wrote = true },
      }
      reply = await route(ctx)
    } catch (err) {
      reply = errorReply(err)
    } finally {
      leave()
    }
    if (modelled !== undefined) {
      modelled.answered(rowCount(reply))
      await modelled.done
    }
    if (wrote && MUTATING.has(method) && reply.status < 300) counters.writes += 1
    counters.requests.push({ method, path, status: reply.status })
    await send(req, res, reply, closed)
  }

  async function send (req: IncomingMessage, res: ServerResponse, reply: Reply, closed: Promise<void>): Promise<void> {
    const headers: Record<string, string> = reply.bare === true
      ? { ...reply.headers }
      : { 'content-type': 'application/json', 'cache-control': 'must-revalidate', ...reply.headers }
    const cut = faults.cutNext > 0
    if (cut) faults.cutNext -= 1
    if (reply.stream !== undefined) {
      res.writeHead(reply.status, headers)
      if (cut) { res.socket?.destroy(); return }
      await reply.stream((chunk) => { if (!res.destroyed) res.write(chunk) }, closed)
      res.end()
      return
    }
    const body = reply.text ?? (reply.body === undefined || reply.bare === true ? '' : JSON.stringify(reply.body) + '\n')
    const payload = req.method === 'HEAD' || reply.status === 304 ? '' : body
    if (cut) {
      // Promise the whole body, send half of it, then drop the connection.
      res.writeHead(reply.status, { ...headers, 'content-length': String(Buffer.byteLength(body) + 1) })
      res.write(body.slice(0, Math.floor(body.length / 2)))
      setImmediate(() => res.socket?.destroy())
      return
    }
    res.writeHead(reply.status, { ...headers, ...(req.method === 'HEAD' ? {} : { 'content-length': String(Buffer.byteLength(payload)) }) })
    res.end(payload)
  }

  return control
}

function rowCount (reply: Reply): number {
  const rows = (reply.body as { rows?: unknown } | undefined)?.rows
  return Array.isArray(rows) ? rows.length : 0
}

/** CouchDB-shaped error; anything unexpected is a 500 that never leaks a stack or a secret. */
function errorReply (err: unknown): Reply {
  if (err instanceof CouchError) {
    const body = err.status === 500 && err.error === 'unknown_error'
      ? { error: err.error, reason: err.reason, ref: Math.floor(Math.random() * 2 ** 31) }
      : { error: err.error, reason: err.reason }
    return { status: err.status, body, headers: err.headers }
  }
  return { status: 500, body: { error: 'unknown_error', reason: err instanceof Error ? err.name : 'error', ref: Math.floor(Math.random() * 2 ** 31) } }
}
