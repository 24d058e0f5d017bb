// Runs the bare Fastify ceiling (bare-fastify-server.ts) in its own process and reads one
// zergling per connection from it, exactly as the service's `get` scenario does.
import { join } from 'node:path'
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import { freePort, spawnNode, waitFor200 } from '../support/processes.js'
import type { LoadResult } from '../support/result.js'

export async function bareFastifyBaseline (ctx: BenchContext): Promise<LoadResult[]> {
  const port = await freePort()
  const child = spawnNode({
    name: 'bare-fastify',
    args: ['--import', 'tsx', 'bench/baselines/bare-fastify-server.ts', String(port)],
    logFile: join(ctx.tmpDir, 'bare-fastify.log')
  })
  const results: LoadResult[] = []
  try {
    const url = `http://127.0.0.1:${port}`
    await waitFor200(`${url}/readyz`, child, performance.now())
    for (const connections of ctx.plan.concurrencies) {
      const ids = Array.from({ length: connections }, () => crypto.randomUUID())
      ctx.log(`bare-fastify get c=${connections}`)
      results.push(await runLoad({
        scenario: 'get', target: 'bare-fastify', url, connections, warmupS: ctx.plan.warmupS, durationS: ctx.plan.durationS, pathFor: (i) => `/zerglings/${ids[i % connections]!}`
      }))
    }
  } finally {
    await child.stop()
  }
  return results
}
