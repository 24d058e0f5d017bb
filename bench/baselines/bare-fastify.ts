// The bare Fastify ceiling (bare-fastify-server.ts) in its own process, reading one zergling per
// connection exactly as the service's `get` scenario does. It stays up while the service runs so
// that the two can be measured in alternating slices (throughput.ts): on a shared machine, a
// ceiling measured a minute before the service says more about the neighbours than about us.
import { join } from 'node:path'
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import { freePort, spawnNode, waitFor200 } from '../support/processes.js'
import type { LoadResult } from '../support/result.js'

export interface BareFastify {
  /** One slice of the ceiling's `get` at `connections`. */
  measureGet: (connections: number, durationS: number, warmupS: number) => Promise<LoadResult>
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
    async measureGet (connections, durationS, warmupS) {
      const ids = Array.from({ length: connections }, () => crypto.randomUUID())
      return await runLoad({
        scenario: 'get', target: 'bare-fastify', url, connections, warmupS, durationS, pathFor: (i) => `/zerglings/${ids[i % connections]!}`
      })
    },
    stop: async () => { await child.stop() }
  }
}
