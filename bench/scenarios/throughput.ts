// Throughput scenarios against a running `overmind serve`, at each concurrency of the plan:
// spawning, reading one zergling, commands when every connection has its own zergling
// (no conflicts: the storage path itself), and commands all on one hot zergling (every
// connection races the others for the same revision). Requests carry the default parameters, as
// a client that knows none of them sends. Where a target is a ratio to a baseline (the bare
// Fastify ceiling, the plain CouchDB client, the raw store), they are measured in alternating slices.
import { alternate, type Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import type { LoadResult } from '../support/result.js'
import { commandThroughApi, spawnThroughApi } from '../support/seed.js'

/** GETs where each connection reads its own zergling, which has a short history (like the bare server's). */
async function getSlice (ctx: BenchContext, target: string, baseUrl: string, connections: number): Promise<Slice> {
  const readable = await spawnThroughApi(baseUrl, connections)
  for (const id of readable) await commandThroughApi(baseUrl, id, 'LMR')
  return async (durationS, warmupS) => {
    ctx.log(`${target} get c=${connections}`)
    return await runLoad({ target, url: baseUrl, scenario: 'get', connections, durationS, warmupS, pathFor: (i) => `/zerglings/${readable[i % connections]!}`, params: { request: 'GET /zerglings/{id}' } })
  }
}

/** Only the GET scenario at each concurrency, in alternation with `rival` (a second configuration of the service). */
export async function getScenarios (ctx: BenchContext, target: string, baseUrl: string, rivals: Rivals = {}): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  for (const connections of ctx.plan.concurrencies) {
    const rival = rivals.get?.(connections)
    const get = await getSlice(ctx, target, baseUrl, connections)
    const measured = rival === undefined ? [await get(ctx.plan.durationS, ctx.plan.warmupS)] : await alternate(ctx, [rival, get])
    // The rival's rows say which run they were measured beside, so each ratio pairs its own.
    results.push(...measured.map((r) => r.target === target ? r : { ...r, params: { ...r.params, beside: target } }))
  }
  return results
}

/** Baselines measured in alternation with the service's scenario of the same name, at a concurrency. */
export interface Rivals {
  get?: (connections: number) => Slice
  /** Each rival sets up its own zerglings first (hence async); all of them alternate with the service. */
  commandMany?: (connections: number) => Promise<Slice[]>
}

export async function throughputScenarios (ctx: BenchContext, target: string, baseUrl: string, rivals: Rivals = {}): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  const common = { target, url: baseUrl, warmupS: ctx.plan.warmupS, durationS: ctx.plan.durationS }
  const body = JSON.stringify('M')
  const withRivals = async (service: Slice, rivals: Slice[]): Promise<LoadResult[]> =>
    rivals.length === 0 ? [await service(ctx.plan.durationS, ctx.plan.warmupS)] : await alternate(ctx, [...rivals, service])
  for (const connections of ctx.plan.concurrencies) {
    ctx.log(`${target} spawn c=${connections}`)
    results.push(await runLoad({ ...common, scenario: 'spawn', connections, method: 'POST', path: '/zerglings/', params: { request: 'POST /zerglings/' } }))

    results.push(...await withRivals(await getSlice(ctx, target, baseUrl, connections), rivals.get === undefined ? [] : [rivals.get(connections)]))

    const own = await spawnThroughApi(baseUrl, connections)
    const commandMany: Slice = async (durationS, warmupS) => {
      ctx.log(`${target} command-many c=${connections}`)
      return await runLoad({
        ...common,
        durationS,
        warmupS,
        scenario: 'command-many',
        connections,
        method: 'POST',
        body,
        pathFor: (i) => `/zerglings/${own[i % connections]!}`,
        params: { request: 'POST /zerglings/{id} "M"' }
      })
    }
    results.push(...await withRivals(commandMany, await rivals.commandMany?.(connections) ?? []))

    const [hot] = await spawnThroughApi(baseUrl, 1)
    ctx.log(`${target} command-hot c=${connections}`)
    results.push(await runLoad({ ...common, scenario: 'command-hot', connections, method: 'POST', body, path: `/zerglings/${hot!}`, params: { request: 'POST /zerglings/{id} "M"' } }))
  }
  return results
}
