// Throughput scenarios against a running `overmind serve`, at each concurrency of the plan:
// spawning, reading one zergling, commands when every connection has its own zergling
// (no conflicts: the storage path itself), and commands all on one hot zergling (every
// connection races the others for the same revision).
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import type { LoadResult } from '../support/result.js'
import { commandThroughApi, spawnThroughApi } from '../support/seed.js'

const COMMAND = '?history=none'

export async function throughputScenarios (ctx: BenchContext, target: string, baseUrl: string): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  const common = { target, url: baseUrl, warmupS: ctx.plan.warmupS, durationS: ctx.plan.durationS }
  const body = JSON.stringify('M')
  for (const connections of ctx.plan.concurrencies) {
    ctx.log(`${target} spawn c=${connections}`)
    results.push(await runLoad({ ...common, scenario: 'spawn', connections, method: 'POST', path: '/zerglings/' }))

    // Each connection reads its own zergling, which has a short history (like the bare server's).
    const readable = await spawnThroughApi(baseUrl, connections)
    for (const id of readable) await commandThroughApi(baseUrl, id, 'LMR')
    ctx.log(`${target} get c=${connections}`)
    const serviceGet = async (durationS: number, warmupS: number): Promise<LoadResult> =>
      await runLoad({ ...common, durationS, warmupS, scenario: 'get', connections, pathFor: (i) => `/zerglings/${readable[i % connections]!}` })
    if (target === 'embedded' && ctx.ceiling !== undefined) {
      results.push(...await alternateWithCeiling(ctx, connections, serviceGet))
    } else {
      results.push(await serviceGet(ctx.plan.durationS, ctx.plan.warmupS))
    }

    const own = await spawnThroughApi(baseUrl, connections)
    ctx.log(`${target} command-many c=${connections}`)
    results.push(await runLoad({
      ...common,
      scenario: 'command-many',
      connections,
      method: 'POST',
      body,
      pathFor: (i) => `/zerglings/${own[i % connections]!}${COMMAND}`
    }))

    const [hot] = await spawnThroughApi(baseUrl, 1)
    ctx.log(`${target} command-hot c=${connections}`)
    results.push(await runLoad({ ...common, scenario: 'command-hot', connections, method: 'POST', body, path: `/zerglings/${hot!}${COMMAND}` }))
  }
  return results
}

/**
 * The GET target is a ratio to the bare Fastify ceiling, so the two are measured in alternating
 * slices (ceiling, service, three times; once in a quick run) and each keeps its best slice: interference from other
 * work on the machine only ever slows a slice down, and both sides get the same exposure to it.
 */
async function alternateWithCeiling (ctx: BenchContext, connections: number, serviceGet: (durationS: number, warmupS: number) => Promise<LoadResult>): Promise<LoadResult[]> {
  // Each slice pays autocannon's start-up; a quick run affords one pair.
  const slices = ctx.plan.quick ? 1 : 3
  const durationS = ctx.plan.durationS / slices
  const warmupS = ctx.plan.warmupS / slices
  const ceiling: LoadResult[] = []
  const service: LoadResult[] = []
  for (let i = 0; i < slices; i++) {
    ceiling.push(await ctx.ceiling!.measureGet(connections, durationS, warmupS))
    service.push(await serviceGet(durationS, warmupS))
  }
  const best = (runs: LoadResult[]): LoadResult => {
    const top = runs.reduce((a, b) => (b.rps > a.rps ? b : a))
    return { ...top, notes: [...top.notes ?? [], `best of ${slices} slices alternating with the ${top.target === 'bare-fastify' ? 'service' : 'ceiling'}: ${runs.map((run) => Math.round(run.rps)).join(', ')} req/s`] }
  }
  return [best(ceiling), best(service)]
}
