// OVERMIND_METRICS_ADDR: /metrics on a listener of its own, so the public Service (and the
// Ingress behind it) never exposes it, while Prometheus scrapes the pod's metrics port. It shares
// the app's registry: the counting stays in the app (metrics.ts), only the answer moves here.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { serveMetrics, type OvermindMetrics } from './metrics.js'

export interface MetricsListener {
  listener: FastifyInstance
  /** `http://host:port` as bound. */
  address: string
}

export async function listenForMetrics (metrics: OvermindMetrics, at: { host: string, port: number }, logger: FastifyBaseLogger): Promise<MetricsListener> {
  const listener = Fastify({ loggerInstance: logger.child({ listener: 'metrics' }) })
  serveMetrics(listener, metrics)
  const address = await listener.listen(at)
  return { listener, address }
}
