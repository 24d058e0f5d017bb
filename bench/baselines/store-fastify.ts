// The HTTP ceiling around the embedded store (store-fastify-server.ts) in its own process, sending
// commands one zergling per connection exactly as the service's `command-many` does, in slices
// alternating with the service and the raw store (support/alternate.ts).
import { dirname, join } from 'node:path'
import type { Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import { freePort, spawnNode, waitFor200 } from '../support/processes.js'
import { spawnThroughApi } from '../support/seed.js'

export const STORE_FASTIFY = 'store-fastify:embedded'

export interface StoreFastify {
  commandMany: (connections: number) => Promise<Slice>
  stop: () => Promise<void>
}

export async function startStoreFastify (ctx: BenchContext): Promise<StoreFastify> {
  const port = await freePort()
  // The build's store: dist/cli/main.js → dist/store/pouch-store.js (a --service-ref's, too).
  const storeModule = join(dirname(dirname(ctx.serviceMain)), 'store', 'pouch-store.js')
  const child = spawnNode({
    name: 'store-fastify',
    args: ['--import', 'tsx', 'bench/baselines/store-fastify-server.ts', String(port), join(ctx.tmpDir, 'store-fastify'), storeModule],
    env: { NODE_OPTIONS: ctx.nodeOptions },
    logFile: join(ctx.tmpDir, 'store-fastify.log')
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitFor200(`${url}/readyz`, child, performance.now())
  } catch (error) {
    await child.stop()
    throw error
  }
  return {
    commandMany: async (connections) => {
      const own = await spawnThroughApi(url, connections)
      return async (durationS, warmupS) => {
        ctx.log(`${STORE_FASTIFY} command-many c=${connections}`)
        return await runLoad({
          scenario: 'command-many', target: STORE_FASTIFY, url, connections, warmupS, durationS, method: 'POST', body: JSON.stringify('M'), pathFor: (i) => `/zerglings/${own[i % connections]!}`, params: { request: 'POST /zerglings/{id} "M"' }
        })
      }
    },
    stop: async () => { await child.stop() }
  }
}
