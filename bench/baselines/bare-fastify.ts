// The bare Fastify ceiling (bare-fastify-server.ts) in its own process, reading one zergling per
// connection exactly as the service's `get` scenario does. It stays up while the service runs so
// that the two can be measured in alternating slices (support/alternate.ts).
import { join } from 'node:path'
import type { Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import { freePort, spawnNode, waitFor200 } from '../support/processes.js'

export interface BareFastify {
  /** The ceiling's `get` at `connections`. */
  get: (connections: number) => Slice
  stop: () => Promise<void>
}

export async function startBareFastify (ctx: BenchContext): Promise<BareFastify> {
  const port = await freePort()
  const child = spawnNode({
    name: 'bare-fastify',
    args: ['--import', 'tsx', 'bench/baselines/bare-fastify-server.ts', String(port)],
    logFile: join(ctx.tmpDir, 'bare-fastify.log')
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitFor200(`${url}/readyz`, child, performance.now())
  } catch (error) {
    await child.stop()
    throw error
  }
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
