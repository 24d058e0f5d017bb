// One measured scenario, whether autocannon drove HTTP or the loop harness called a store:
// the same fields, so the report can put a baseline beside the service it bounds.

export interface LoadResult {
  /** What was done: `get`, `command-many`, `list`, ... */
  scenario: string
  /** Who answered: `embedded`, `couchdb`, `bare-fastify`, `raw-store:embedded`, `plain-client:couchdb`, ... */
  target: string
  connections: number
  /** Seconds measured (after warm-up). */
  durationS: number
  /** Completed requests or calls, errors included. */
  requests: number
  /** Successful requests per second. */
  rps: number
  /** Latency in milliseconds. */
  p50: number
  p99: number
  max: number
  non2xx: number
  errors: number
  /** Scenario parameters: zerglings in the database, history length, ... */
  params?: Record<string, number | string>
  notes?: string[]
}

export function errorCount (result: LoadResult): number {
  return result.non2xx + result.errors
}

/** p50, p99 and max of latencies in ms (any order; not changed), rounded as the report shows them. */
export function latencySummary (latencies: readonly number[]): Pick<LoadResult, 'p50' | 'p99' | 'max'> {
  const sorted = [...latencies].sort((a, b) => a - b)
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? NaN) }
}

/** Percentile by nearest rank over sorted samples (ms). */
export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export function round (value: number, digits = 2): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
