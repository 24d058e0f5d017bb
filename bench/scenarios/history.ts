// Command latency against the length of a zergling's history: one zergling per length and
// query, built 1000 commands per request, then one connection sends single commands. Twice per
// length: with the default parameters (the answer carries the whole history, as a client that
// knows no parameter gets it) and with `?history=none` (the cost of the command alone). One
// connection, because concurrent commands on one zergling would measure revision conflicts, not
// the history's cost. Each measured command adds one to the history.
//
// The p99 of a millisecond-long command is its tenth-slowest in a thousand: a scavenge, a leveldb
// compaction or a neighbour's burst decides it. So every zergling is built first, and the
// commands are sent in rounds that visit every length and query in turn, each point pooling its
// rounds' latencies (kept to the microsecond): the lengths compared meet the same interference,
// as the ratios to a baseline do (support/alternate.ts).
import type { BenchContext } from '../support/context.js'
import { runLoadKeepingLatencies } from '../support/load.js'
import { latencySummary, round, type LoadResult } from '../support/result.js'
import { buildHistory, spawnThroughApi } from '../support/seed.js'

/** The query strings measured, by the name the report gives them. */
export const HISTORY_QUERIES = { default: '', 'history=none': '?history=none' } as const

interface Point { query: string, search: string, length: number, id: string, buildS: number, latencies: number[], seconds: number, requests: number, non2xx: number, errors: number }

export async function historyScenarios (ctx: BenchContext, target: string, baseUrl: string): Promise<LoadResult[]> {
  const points: Point[] = []
  for (const [query, search] of Object.entries(HISTORY_QUERIES)) {
    for (const length of ctx.plan.historyLengths) {
      const [id] = await spawnThroughApi(baseUrl, 1)
      const started = performance.now()
      await buildHistory(baseUrl, id!, length)
      const buildS = (performance.now() - started) / 1000
      ctx.log(`${target} command-history history=${length} ${query} (built in ${buildS.toFixed(1)} s)`)
      points.push({ query, search, length, id: id!, buildS, latencies: [], seconds: 0, requests: 0, non2xx: 0, errors: 0 })
    }
  }
  const rounds = ctx.plan.historyRounds
  for (let round = 0; round < rounds; round++) {
    for (const point of points) {
      const { result, latencies } = await runLoadKeepingLatencies({
        scenario: 'command-history',
        target,
        url: baseUrl,
        connections: 1,
        // Each point's first round warms it up (JIT, its documents in the caches).
        warmupS: round === 0 ? Math.min(1, ctx.plan.warmupS) : 0,
        durationS: 0,
        amount: Math.ceil(ctx.plan.historyRequests / rounds),
        method: 'POST',
        body: JSON.stringify('M'),
        path: `/zerglings/${point.id}${point.search}`
      })
      point.latencies.push(...latencies)
      point.seconds += result.durationS
      point.requests += result.requests
      point.non2xx += result.non2xx
      point.errors += result.errors
    }
  }
  return points.map((point) => summary(target, point, rounds))
}

function summary (target: string, point: Point, rounds: number): LoadResult {
  return {
    scenario: 'command-history',
    target,
    connections: 1,
    durationS: round(point.seconds, 1),
    requests: point.requests,
    rps: round(point.latencies.length / point.seconds, 1),
    ...latencySummary(point.latencies),
    non2xx: point.non2xx,
    errors: point.errors,
    params: { request: `POST /zerglings/{id}${point.search} "M"`, query: point.query, history: point.length, buildS: Number(point.buildS.toFixed(1)) },
    notes: [`${rounds} rounds of ${Math.ceil(point.requests / rounds)} commands, each round visiting every history length and query in turn`]
  }
}
