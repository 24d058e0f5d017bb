// What OpenTelemetry traces cost: commands on distinct zerglings (the storage path, no revision
// races) through two replicas on one CouchDB database, one with tracing off (the default, what
// every other row measures) and one with OVERMIND_TRACING=on and no exporter — every request
// span and CouchDB client span recorded, then dropped, so the figure is the recording's cost and
// not a collector's. Measured in alternating slices (support/alternate.ts), at the plan's highest
// concurrency, while the other replica idles.
import { alternate, type Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import { startOvermind } from '../support/overmind.js'
import type { LoadResult } from '../support/result.js'
import { spawnThroughApi } from '../support/seed.js'

export const TRACING_TARGETS = { off: 'couchdb-tracing-off', on: 'couchdb-tracing-on' } as const

export async function tracingScenario (ctx: BenchContext, database: string): Promise<LoadResult[]> {
  const connections = ctx.plan.concurrencies.at(-1)!
  const off = await startOvermind(ctx, 'overmind-couchdb-tracing-off', { store: 'couchdb', database, env: { OVERMIND_TRACING: 'off' } })
  try {
    const on = await startOvermind(ctx, 'overmind-couchdb-tracing-on', { store: 'couchdb', database, env: { OVERMIND_TRACING: 'on' } })
    try {
      const slice = async (baseUrl: string, target: string, tracing: string): Promise<Slice> => {
        const own = await spawnThroughApi(baseUrl, connections)
        return async (durationS, warmupS) => {
          ctx.log(`${target} command-many c=${connections}`)
          return await runLoad({
            target,
            url: baseUrl,
            scenario: 'command-many',
            connections,
            durationS,
            warmupS,
            method: 'POST',
            body: JSON.stringify('M'),
            pathFor: (i) => `/zerglings/${own[i % connections]!}`,
            params: { request: 'POST /zerglings/{id} "M"', tracing }
          })
        }
      }
      return await alternate(ctx, [await slice(off.baseUrl, TRACING_TARGETS.off, 'off'), await slice(on.baseUrl, TRACING_TARGETS.on, 'on, no exporter')])
    } finally {
      await on.child.stop()
    }
  } finally {
    await off.child.stop()
  }
}
