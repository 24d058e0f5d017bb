// The live change streams of this replica as `fastify.changeStreams`: one change feed over the
// store (src/stream/change-feed.ts), each client an SSE answer (sse-response.ts), a heartbeat for
// all of them, and their end when the service shuts down: each gets a last `closing` event and
// its connection closes, so that no stream holds up the shutdown (connection-drain.ts) and every
// client reconnects elsewhere from where it was. Counted in /metrics.
import fp from 'fastify-plugin'
import type { FastifyReply } from 'fastify'
import { Counter, Gauge } from 'prom-client'
import { createChangeFeed, type ChangeFeedOptions } from '../stream/change-feed.js'
import { toErrorResponse } from './error-handler.js'
import { openSseResponse, type SseResponse, type SseResponseOptions } from './sse-response.js'

export interface ChangeStreamOptions extends Omit<ChangeFeedOptions, 'describe'>, Partial<SseResponseOptions> {
  /** A comment line this often keeps proxies from closing idle streams (nginx: 60 s by default). */
  heartbeatMs?: number
}

export interface ChangeStreams {
  /** Streams the changes after `since` as the answer to this request; throws before anything was written. */
  open (reply: FastifyReply, since: string): Promise<void>
  /** Ends every stream with a `closing` event; later ones get only that. */
  closeAll (): void
}

declare module 'fastify' {
  interface FastifyInstance {
    changeStreams: ChangeStreams
  }
}

const CLOSING = { reason: 'This replica is shutting down: reconnect (an EventSource does by itself, with Last-Event-ID) to continue on another one where this stream left off.' }

export default fp(async function changeStreamsPlugin (fastify, options: { stream?: ChangeStreamOptions, isDraining?: () => boolean, drain?: AbortSignal }) {
  const { heartbeatMs = 15_000, maxBufferedBytes = 512 * 1024, stallMs = 30_000, graceMs = 5000, retryMs = 2000, ...feedOptions } = options.stream ?? {}
  const sse: SseResponseOptions = { maxBufferedBytes, stallMs, graceMs, retryMs }
  const isDraining = options.isDraining ?? (() => false)
  const feed = createChangeFeed(fastify.store, { ...feedOptions, describe: (error) => toErrorResponse(error).body })
  const responses = new Set<SseResponse>()
  let closing = false

  const { registry } = fastify.metrics
  const dropped = new Counter({ name: 'overmind_stream_dropped_total', help: 'Change streams ended because their client read too slowly.', registers: [registry] })
  // eslint-disable-next-line no-new -- registered in the registry, read at each scrape
  new Gauge({ name: 'overmind_stream_clients', help: 'Change streams open now.', registers: [registry], collect () { this.set(responses.size) } })
  // eslint-disable-next-line no-new -- as above
  new Gauge({
    name: 'overmind_stream_buffered_bytes',
    help: 'Bytes written to change streams that their clients have not taken yet.',
    registers: [registry],
    collect () { let sum = 0; for (const response of responses) sum += response.buffered; this.set(sum) }
  })

  const heartbeat = setInterval(() => {
    const now = Date.now()
    for (const response of responses) response.heartbeat(now)
  }, heartbeatMs)
  heartbeat.unref()

  const changeStreams: ChangeStreams = {
    async open (reply, since) {
      let leave: (() => void) | undefined
      let left = false
      const response = openSseResponse(reply, sse, (wasDropped) => {
        responses.delete(response)
        if (wasDropped) dropped.inc()
        left = true
        leave?.()
      })
      if (closing || isDraining()) {
        response.end('closing', CLOSING)
        return
      }
      responses.add(response)
      try {
        leave = await feed.subscribe(response, since)
      } catch (error) {
        responses.delete(response)
        throw error
      }
      if (left) leave()
      else response.start()
    },
    closeAll () {
      closing = true
      for (const response of responses) response.end('closing', CLOSING)
    }
  }
  fastify.decorate('changeStreams', changeStreams)
  options.drain?.addEventListener('abort', () => { changeStreams.closeAll() }, { once: true })
  fastify.addHook('preClose', async () => {
    changeStreams.closeAll()
    await feed.stop()
  })
  fastify.addHook('onClose', async () => { clearInterval(heartbeat) })
}, { name: 'change-streams', fastify: '5.x', dependencies: ['store', 'metrics'] })
