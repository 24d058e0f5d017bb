// The storage ceiling: the store adapter's own calls, no HTTP, at the same concurrency as the
// service — each worker commands its own zergling (`command-many`) or reads it (`get`), asking
// for the whole history as the service's default answer does. What the service loses against
// this is the cost of HTTP, validation and serialisation around the store.
import { join } from 'node:path'
import { createCouchStore } from '../../src/store/couch-store.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import type { Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { runLoop } from '../support/loop-harness.js'
import type { LoadResult } from '../support/result.js'
import { commandIn, getIn, spawnIn } from '../support/store-calls.js'

export async function openRawStore (ctx: BenchContext, kind: 'embedded' | 'couchdb', database: string): Promise<ZerglingStore> {
  if (kind === 'embedded') return await createPouchStore({ dataDir: join(ctx.tmpDir, 'raw-store'), database })
  const { url, username, password } = ctx.couch
  return createCouchStore({ couch: { url, username, password, database, requestTimeoutMs: 30_000 } })
}

const targetOf = (store: ZerglingStore): string => `raw-store:${store.kind === 'embedded' ? 'embedded' : 'couchdb'}`

/** Commands, each worker on a zergling of its own, as a slice to alternate with the service's (support/alternate.ts). */
export async function rawCommandSlice (ctx: BenchContext, store: ZerglingStore, concurrency: number): Promise<Slice> {
  const ids: string[] = []
  for (let i = 0; i < concurrency; i++) ids.push(await spawnIn(store))
  const target = targetOf(store)
  return async (durationS, warmupS) => {
    ctx.log(`${target} command-many c=${concurrency}`)
    return await runLoop({ target, concurrency, warmupS, durationS, params: { request: 'store.command(id, M, history all)' }, scenario: 'command-many', operation: async (worker) => { await commandIn(store, ids[worker]!, ['M']) } })
  }
}

/** `commands: false` when the commands were measured already, alternating with the service's. */
export async function rawStoreBaselines (ctx: BenchContext, store: ZerglingStore, { commands = true } = {}): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  const target = targetOf(store)
  for (const concurrency of ctx.plan.concurrencies) {
    const common = { target, concurrency, warmupS: ctx.plan.warmupS, durationS: ctx.plan.durationS, params: { request: 'store.command(id, M, history all)' } }
    if (commands) results.push(await (await rawCommandSlice(ctx, store, concurrency))(ctx.plan.durationS, ctx.plan.warmupS))
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
