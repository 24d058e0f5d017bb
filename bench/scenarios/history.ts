// Command latency against the length of a zergling's history: one zergling per length and
// query, built 1000 commands per request, then one connection sends single commands. Twice per
// length: with the default parameters (the answer carries the whole history, as a client that
// knows no parameter gets it) and with `?history=none` (the cost of the command alone). One
// connection, because concurrent commands on one zergling would measure revision conflicts, not
// the history's cost. Each measured command adds one to the history.
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import type { LoadResult } from '../support/result.js'
import { buildHistory, spawnThroughApi } from '../support/seed.js'

/** The query strings measured, by the name the report gives them. */
export const HISTORY_QUERIES = { default: '', 'history=none': '?history=none' } as const

export async function historyScenarios (ctx: BenchContext, target: string, baseUrl: string): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  for (const [query, search] of Object.entries(HISTORY_QUERIES)) {
    for (const length of ctx.plan.historyLengths) {
      const [id] = await spawnThroughApi(baseUrl, 1)
      const started = performance.now()
      await buildHistory(baseUrl, id!, length)
      const buildS = (performance.now() - started) / 1000
      ctx.log(`${target} command-history history=${length} ${query} (built in ${buildS.toFixed(1)} s)`)
      results.push(await runLoad({
        scenario: 'command-history',
        target,
        url: baseUrl,
        connections: 1,
        warmupS: Math.min(1, ctx.plan.warmupS),
        durationS: 0,
        amount: ctx.plan.historyRequests,
        method: 'POST',
        body: JSON.stringify('M'),
        path: `/zerglings/${id!}${search}`,
        params: { request: `POST /zerglings/{id}${search} "M"`, query, history: length, buildS: Number(buildS.toFixed(1)) }
      }))
    }
  }
  return results
}
