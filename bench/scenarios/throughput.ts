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
    results.push(await runLoad({ ...common, scenario: 'get', connections, pathFor: (i) => `/zerglings/${readable[i % connections]!}` }))

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
