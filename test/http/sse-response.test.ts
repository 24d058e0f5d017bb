// One SSE answer's limits, with large writes so that the kernel's socket buffers fill at once:
// a client past the bound is dropped with a last `dropped` event, a dropped one that never reads
// again is cut off, and one that reads nothing for too long is dropped at a heartbeat.
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { openSseResponse, type SseResponse, type SseResponseOptions } from '../../src/http/sse-response.js'
import { parseEvents } from '../stream/support/sse-events.js'

const MB = 1 << 20
/** A comment line of about 1 MB: SSE text a parser skips. */
const FILLER = `:${'x'.repeat(MB)}\n\n`

interface Opened { response: SseResponse, gone: Promise<{ dropped: boolean }> }

async function serve (options: SseResponseOptions): Promise<{ app: FastifyInstance, port: number, next: () => Promise<Opened> }> {
  const app = Fastify()
  const waiting: Array<(opened: Opened) => void> = []
  app.get('/s', async (_request, reply) => {
    let gone!: (value: { dropped: boolean }) => void
    const response = openSseResponse(reply, options, (dropped) => { gone({ dropped }) })
    response.start()
    waiting.shift()?.({ response, gone: new Promise((resolve) => { gone = resolve }) })
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  return { app, port, next: async () => await new Promise<Opened>((resolve) => waiting.push(resolve)) }
}

/** Sends the request and reads nothing until `read()`; `body()` is what came of the body. */
function pausedClient (port: number): { socket: Socket, read: () => void, ended: Promise<void>, body: () => string } {
  let raw = ''
  const socket = connect(port, '127.0.0.1', () => {
    socket.write('GET /s HTTP/1.1\r\nHost: test\r\n\r\n')
    socket.pause()
  })
  socket.on('error', () => {})
  socket.on('data', (chunk: Buffer) => { raw += chunk.toString('latin1') })
  return {
    socket,
    read: () => { socket.resume() },
    ended: new Promise((resolve) => socket.once('close', () => resolve())),
    body: () => {
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'))
      // The stream is delimited by the end of the connection (sse-response.ts), not chunked.
      assert.doesNotMatch(head, /^transfer-encoding:/im)
      return raw.slice(head.length + 4)
    }
  }
}

describe('an SSE answer', { timeout: 60_000 }, () => {
  let app: FastifyInstance | undefined
  afterEach(async () => { await app?.close() })

  it('when a client stops reading and more than the bound waits for it, then it is dropped, and reading again it gets everything up to a last `dropped` event and the end', async () => {
    const server = await serve({ maxBufferedBytes: 2 * MB, stallMs: 60_000, graceMs: 30_000, retryMs: 1000 })
    app = server.app
    const client = pausedClient(server.port)
    const { response, gone } = await server.next()
    assert.equal(response.write('id: 1\nevent: moved\ndata: {"n":1}\n\n'), true)
    let writes = 0
    while (response.write(FILLER)) assert.ok(++writes < 100, 'the bound is reached')
    assert.ok(response.buffered <= 2 * MB + MB + 1000, `${response.buffered} bytes wait`)
    assert.equal(response.write('id: 2\nevent: moved\ndata: {"n":2}\n\n'), false, 'nothing more is taken')
    client.read()
    await client.ended
    assert.deepEqual(await gone, { dropped: true })
    const events = parseEvents(client.body())
    assert.deepEqual(events.map(({ event }) => event), ['moved', 'dropped'])
    assert.equal((events[1]!.data as { error: string }).error, 'too_slow')
  })

  it('when a dropped client never reads again, then its connection is cut after the grace, and its buffer with it', async () => {
    const server = await serve({ maxBufferedBytes: MB, stallMs: 60_000, graceMs: 200, retryMs: 1000 })
    app = server.app
    const client = pausedClient(server.port)
    const { response, gone } = await server.next()
    while (response.write(FILLER));
    assert.deepEqual(await gone, { dropped: true })
    assert.equal(response.buffered, 0)
    client.socket.destroy()
  })

  it('when a client reads nothing for longer than the stall limit, then the next heartbeat drops it', async () => {
    const server = await serve({ maxBufferedBytes: 512 * MB, stallMs: 100, graceMs: 200, retryMs: 1000 })
    app = server.app
    const client = pausedClient(server.port)
    const { response, gone } = await server.next()
    // Enough for the kernel's buffers and the socket's high-water mark, far below the bound.
    for (let i = 0; i < 40; i++) response.write(FILLER)
    response.heartbeat(Date.now())
    await new Promise((resolve) => setTimeout(resolve, 150))
    response.heartbeat(Date.now())
    assert.deepEqual(await gone, { dropped: true })
    client.socket.destroy()
  })

  it('when a client reads, then heartbeats keep its stream open and nothing is dropped', async () => {
    const server = await serve({ maxBufferedBytes: MB, stallMs: 50, graceMs: 200, retryMs: 1000 })
    app = server.app
    const client = pausedClient(server.port)
    const { response } = await server.next()
    client.read()
    for (let i = 0; i < 5; i++) {
      response.write('event: moved\ndata: {}\n\n')
      await new Promise((resolve) => setTimeout(resolve, 80))
      response.heartbeat(Date.now())
    }
    response.end('closing', { reason: 'bye' })
    await client.ended
    assert.deepEqual(parseEvents(client.body()).map(({ event }) => event), ['moved', 'moved', 'moved', 'moved', 'moved', 'closing'])
    assert.match(client.body(), /^retry: 1000\n\n/)
    assert.equal(client.body().split('\n:\n').length - 1, 5, 'five heartbeats')
  })
})
