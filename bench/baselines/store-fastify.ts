// The HTTP ceiling around the embedded store (store-fastify-server.ts) in its own process, sending
// commands one zergling per connection exactly as the service's `command-many` does, in slices
// alternating with the service and the raw store (support/alternate.ts).
import { dirname, join } from 'node:path'
import type { Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import { startBaselineServer } from '../support/processes.js'
import { spawnThroughApi } from '../support/seed.js'

export const STORE_FASTIFY = 'store-fastify:embedded'

export interface StoreFastify {
  commandMany: (connections: number) => Promise<Slice>
  stop: () => Promise<void>
}

export async function startStoreFastify (ctx: BenchContext): Promise<StoreFastify> {
  // The build's store: dist/cli/main.js → dist/store/pouch-store.js (a --service-ref's, too).
  const storeModule = join(dirname(dirname(ctx.serviceMain)), 'store', 'pouch-store.js')
  const { child, url } = await startBaselineServer({
    name: 'store-fastify',
    script: 'bench/baselines/store-fastify-server.ts',
    args: [join(ctx.tmpDir, 'store-fastify'), storeModule],
    env: { NODE_OPTIONS: ctx.nodeOptions },
    logDir: ctx.tmpDir
  })
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
