// The storage ceiling: the store adapter's own calls, no HTTP, at the same concurrency as the
// service — each worker commands its own zergling (`command-many`) or reads it (`get`), asking
// for the whole history as the service's default answer does. What the service loses against
// this is the cost of HTTP, validation and serialisation around the store.
import { join } from 'node:path'
import { createCouchStore } from '../../src/store/couch-store.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import type { BenchContext } from '../support/context.js'
import { runLoop } from '../support/loop-harness.js'
import type { LoadResult } from '../support/result.js'
import { commandIn, getIn, spawnIn } from '../support/store-calls.js'

export async function openRawStore (ctx: BenchContext, kind: 'embedded' | 'couchdb', database: string): Promise<ZerglingStore> {
  if (kind === 'embedded') return await createPouchStore({ dataDir: join(ctx.tmpDir, 'raw-store'), database })
  const { url, username, password } = ctx.couch
  return createCouchStore({ couch: { url, username, password, database, requestTimeoutMs: 30_000 } })
}

export async function rawStoreBaselines (ctx: BenchContext, store: ZerglingStore): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  const target = `raw-store:${store.kind === 'embedded' ? 'embedded' : 'couchdb'}`
  for (const concurrency of ctx.plan.concurrencies) {
    const ids: string[] = []
    for (let i = 0; i < concurrency; i++) ids.push(await spawnIn(store))
    const common = { target, concurrency, warmupS: ctx.plan.warmupS, durationS: ctx.plan.durationS, params: { request: 'store.command(id, M, history all)' } }
    ctx.log(`${target} command-many c=${concurrency}`)
    results.push(await runLoop({ ...common, scenario: 'command-many', operation: async (worker) => { await commandIn(store, ids[worker]!, ['M']) } }))
    if (!ctx.plan.extras) continue
    // Reads get zerglings of their own with a three-command history, as the service's `get` does.
    const readable: string[] = []
    for (let i = 0; i < concurrency; i++) {
      readable.push(await spawnIn(store))
      await commandIn(store, readable[i]!, ['L', 'M', 'R'])
    }
    ctx.log(`${target} get c=${concurrency}`)
    results.push(await runLoop({ ...common, params: { request: 'store.get(id, history all)' }, scenario: 'get', operation: async (worker) => { await getIn(store, readable[worker]!) } }))
  }
  return results
}
