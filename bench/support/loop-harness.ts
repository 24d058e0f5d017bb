// The autocannon of baselines that are not HTTP servers (the raw store, the plain CouchDB client):
// `concurrency` async workers call `operation` back to back, warm-up first, then a measured
// period; latencies are kept whole (a few hundred thousand numbers at most) for exact percentiles.
import { latencySummary, round, type LoadResult } from './result.js'

export interface LoopOptions {
  scenario: string
  target: string
  concurrency: number
  durationS: number
  warmupS: number
  /** One call; `worker` is 0..concurrency-1 (each worker may own its own zergling). */
  operation: (worker: number) => Promise<void>
  params?: LoadResult['params']
  notes?: string[]
}

export async function runLoop (options: LoopOptions): Promise<LoadResult> {
  if (options.warmupS > 0) await period(options, options.warmupS)
  const { latencies, errors, firstError, seconds } = await period(options, options.durationS)
  const notes = [...(options.notes ?? []), ...(firstError === undefined ? [] : [`first error: ${firstError}`])]
  return {
    scenario: options.scenario,
    target: options.target,
    connections: options.concurrency,
    durationS: round(seconds, 1),
    requests: latencies.length + errors,
    rps: round(latencies.length / seconds, 1),
    ...latencySummary(latencies),
    non2xx: 0,
    errors,
    ...(options.params === undefined ? {} : { params: options.params }),
    ...(notes.length === 0 ? {} : { notes })
  }
}

async function period (options: LoopOptions, seconds: number): Promise<{ latencies: number[], errors: number, firstError?: string, seconds: number }> {
  const latencies: number[] = []
  let errors = 0
  let firstError: string | undefined
  const start = performance.now()
  const end = start + seconds * 1000
  const worker = async (index: number): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now()
      try {
        await options.operation(index)
        latencies.push(performance.now() - t0)
      } catch (error) {
        // The first failure's message goes into the result's notes: a count alone says nothing.
        if (errors++ === 0) firstError = error instanceof Error ? error.message : String(error)
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, async (_, i) => await worker(i)))
  return { latencies, errors, firstError, seconds: (performance.now() - start) / 1000 }
}
