// What OpenTelemetry traces cost: commands on distinct zerglings (the storage path, no revision
// races) through two replicas on one CouchDB database, one with tracing off (the default, what
// every other row measures) and one with OVERMIND_TRACING=on and no exporter — every request
// span and CouchDB client span recorded, then dropped, so the figure is the recording's cost and
// not a collector's. Measured in alternating slices (support/alternate.ts), at the plan's highest
// concurrency, while the other replica idles. Each row also says the service's CPU time per
// applied command over its slice (warm-up included), from /proc and /metrics: on a shared
// machine throughput swings with the neighbours, the CPU a command costs much less.
import { readFileSync } from 'node:fs'
import { alternate, type Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import { startOvermind, type RunningOvermind } from '../support/overmind.js'
import type { LoadResult } from '../support/result.js'
import { spawnThroughApi } from '../support/seed.js'

export const TRACING_TARGETS = { off: 'couchdb-tracing-off', on: 'couchdb-tracing-on' } as const

export async function tracingScenario (ctx: BenchContext, database: string): Promise<LoadResult[]> {
  const connections = ctx.plan.concurrencies.at(-1)!
  const off = await startOvermind(ctx, 'overmind-couchdb-tracing-off', { store: 'couchdb', database, env: { OVERMIND_TRACING: 'off' } })
  try {
    const on = await startOvermind(ctx, 'overmind-couchdb-tracing-on', { store: 'couchdb', database, env: { OVERMIND_TRACING: 'on' } })
    try {
      const slice = async ({ baseUrl, child }: RunningOvermind, target: string, tracing: string): Promise<Slice> => {
        const own = await spawnThroughApi(baseUrl, connections)
        return async (durationS, warmupS) => {
          ctx.log(`${target} command-many c=${connections}`)
          const before = { cpu: cpuSeconds(child.pid), commands: await commandsApplied(baseUrl) }
          const result = await runLoad({
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
          const cpuUs = (cpuSeconds(child.pid) - before.cpu) * 1e6 / (await commandsApplied(baseUrl) - before.commands)
          return { ...result, params: { ...result.params, cpuUsPerCommand: Math.round(cpuUs) } }
        }
      }
      return await alternate(ctx, [await slice(off, TRACING_TARGETS.off, 'off'), await slice(on, TRACING_TARGETS.on, 'on, no exporter')])
    } finally {
      await on.child.stop()
    }
  } finally {
    await off.child.stop()
  }
}

/** User and system CPU time of a process so far (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function commandsApplied (baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text()
  return Number(/^overmind_commands_applied_total (\d+)/m.exec(text)?.[1] ?? NaN)
}
