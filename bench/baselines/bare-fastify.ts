// The bare Fastify ceiling (bare-fastify-server.ts) in its own process, reading one zergling per
// connection exactly as the service's `get` scenario does. It stays up while the service runs so
// that the two can be measured in alternating slices (support/alternate.ts).
import type { Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import { startBaselineServer } from '../support/processes.js'

export interface BareFastify {
  /** The ceiling's `get` at `connections`. */
  get: (connections: number) => Slice
  stop: () => Promise<void>
}

export async function startBareFastify (ctx: BenchContext): Promise<BareFastify> {
  const { child, url } = await startBaselineServer({ name: 'bare-fastify', script: 'bench/baselines/bare-fastify-server.ts', logDir: ctx.tmpDir })
  return {
    get: (connections) => async (durationS, warmupS) => {
      const ids = Array.from({ length: connections }, () => crypto.randomUUID())
      ctx.log(`bare-fastify get c=${connections}`)
      return await runLoad({
        scenario: 'get', target: 'bare-fastify', url, connections, warmupS, durationS, pathFor: (i) => `/zerglings/${ids[i % connections]!}`, params: { request: 'GET /zerglings/{id}' }
      })
    },
    stop: async () => { await child.stop() }
  }
}
