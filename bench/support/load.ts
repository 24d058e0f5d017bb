// autocannon with a warm-up: the first seconds (JIT, connection set-up, PouchDB caches) are run
// and thrown away, then the same load is measured. Traffic goes to 127.0.0.1 only. Latencies are
// kept as autocannon times them (hrtime, fractions of a millisecond): its own histogram counts
// whole milliseconds, which makes a p99 of 1-3 ms requests a matter of rounding.
import autocannon from 'autocannon'
import { latencySummary, round, type LoadResult } from './result.js'

export interface LoadOptions {
  scenario: string
  target: string
  url: string
  connections: number
  durationS: number
  warmupS: number
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path?: string
  body?: string
  /** Fixed number of requests instead of a duration (then `durationS` is ignored). */
  amount?: number
  /**
   * Called once per connection, per run (warm-up and measured run alike), with the connection's
   * index: gives each connection its own path, e.g. its own zergling.
   */
  pathFor?: (connection: number) => string
  /** Called per request: a fresh path each time (list pages at random cursors). */
  nextPath?: () => string
  params?: LoadResult['params']
  notes?: string[]
}

export async function runLoad (options: LoadOptions): Promise<LoadResult> {
  return (await runLoadKeepingLatencies(options)).result
}

/** As runLoad, and the measured run's latencies of its 2xx answers (ms, in the order answered). */
export async function runLoadKeepingLatencies (options: LoadOptions): Promise<{ result: LoadResult, latencies: number[] }> {
  if (options.warmupS > 0) await once(options, { duration: options.warmupS })
  const { result, latencies } = await once(options, options.amount === undefined ? { duration: options.durationS } : { amount: options.amount })
  const durationS = result.duration
  const ok = result['2xx']
  return {
    result: {
      scenario: options.scenario,
      target: options.target,
      connections: options.connections,
      durationS: round(durationS, 1),
      requests: result.requests.total,
      rps: round(ok / durationS, 1),
      ...latencySummary(latencies),
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      ...(options.params === undefined ? {} : { params: options.params }),
      ...(options.notes === undefined ? {} : { notes: options.notes })
    },
    latencies
  }
}

async function once (options: LoadOptions, length: { duration: number } | { amount: number }): Promise<{ result: autocannon.Result, latencies: number[] }> {
  let connection = 0
  const { pathFor, nextPath } = options
  const method = options.method ?? 'GET'
  // Spelled out on every request: a per-connection request replaces the defaults entirely.
  const request: autocannon.Request = options.body === undefined
    ? { method }
    : { method, body: options.body, headers: { 'content-type': 'application/json' } }
  const latencies: number[] = []
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: options.url,
      connections: options.connections,
      pipelining: 1,
      timeout: 30,
      ...length,
      requests: [{
        ...request,
        path: options.path ?? '/',
        ...(nextPath === undefined ? {} : { setupRequest: (request) => ({ ...request, path: nextPath() }) })
      }],
      ...(pathFor === undefined
        ? {}
        : { setupClient: (client) => { client.setRequests([{ ...request, path: pathFor(connection++) }]) } })
    }, (error: unknown, result: autocannon.Result) => { if (error === null || error === undefined) resolve(result); else reject(error) })
    instance.on('response', (_client, statusCode, _bytes, responseTime) => { if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime) })
  })
  return { result, latencies }
}
