// Everything measured on CouchDB (the latency-modelled double, or a real one from
// COUCHDB_BENCH_URL): the service's throughput and history scenarios, the plain client (cookie,
// measured in alternation with the service; Basic as a second row) and the raw store beside it,
// and list latency with a small and a large database loaded through `_bulk_docs`. The bench
// creates its databases under unique names and deletes them, also on failure.
import { randomBytes } from 'node:crypto'
import { openRawStore, rawStoreBaselines } from '../baselines/raw-store.js'
import { preparePlainClient } from '../baselines/plain-client.js'
import type { BenchContext } from '../support/context.js'
import { createDatabase, deleteDatabase } from '../support/couch.js'
import { startOvermind } from '../support/overmind.js'
import type { LoadResult } from '../support/result.js'
import { sampleMemory, type MemoryRecord } from '../support/rss.js'
import { seedCouch } from '../support/seed.js'
import { historyScenarios } from './history.js'
import { listScenario } from './list.js'
import { getScenarios, throughputScenarios } from './throughput.js'
import { tracingScenario } from './tracing.js'

export async function benchCouch (ctx: BenchContext): Promise<{ results: LoadResult[], memory: MemoryRecord[] }> {
  const results: LoadResult[] = []
  const memory: MemoryRecord[] = []
  const unique = `overmind_bench_${Date.now()}_${randomBytes(3).toString('hex')}`
  const created: string[] = []
  const database = async (suffix: string): Promise<string> => {
    const name = `${unique}_${suffix}`
    await createDatabase(ctx.couch, name)
    created.push(name)
    return name
  }
  try {
    const main = await database('main')
    const plain = await preparePlainClient(ctx, main, ctx.documents, 'cookie')
    const serve = await startOvermind(ctx, 'overmind-couchdb', { store: 'couchdb', database: main })
    try {
      const sampler = sampleMemory(serve.child.pid)
      results.push(...await throughputScenarios(ctx, 'couchdb', serve.baseUrl, { get: plain.get, commandMany: async (c) => [plain.commandMany(c)] }))
      results.push(...await historyScenarios(ctx, 'couchdb', serve.baseUrl))
      memory.push({ process: 'overmind couchdb: throughput and history scenarios', ...sampler.stop() })
    } finally {
      await serve.child.stop()
    }
    // GETs answered from memory while the replica's changes feed vouches for them (opt-in).
    const fromMemory = await startOvermind(ctx, 'overmind-couchdb-memory-reads', { store: 'couchdb', database: main, env: { OVERMIND_READS: 'memory' } })
    try {
      const sampler = sampleMemory(fromMemory.child.pid)
      results.push(...await getScenarios(ctx, 'couchdb-memory-reads', fromMemory.baseUrl, { get: plain.get }))
      memory.push({ process: 'overmind couchdb, OVERMIND_READS=memory: GET scenario', ...sampler.stop() })
    } finally {
      await fromMemory.child.stop()
    }

    // Tracing off vs on (no exporter), the same commands in alternating slices.
    results.push(...await tracingScenario(ctx, main))

    if (ctx.plan.extras) {
      const basic = await preparePlainClient(ctx, main, ctx.documents, 'basic')
      for (const c of ctx.plan.concurrencies) results.push(await basic.commandMany(c)(ctx.plan.durationS, ctx.plan.warmupS))
    }
    const store = await openRawStore(ctx, 'couchdb', main)
    try {
      results.push(...await rawStoreBaselines(ctx, store))
    } finally {
      await store.close()
    }

    // Quick runs check list growth on the embedded store only, to stay under a minute.
    if (ctx.plan.quick && ctx.couch.kind === 'double') return { results, memory }
    const listDb = await database('list')
    const ids: string[] = []
    const list = await startOvermind(ctx, 'overmind-couchdb-list', { store: 'couchdb', database: listDb })
    try {
      const sampler = sampleMemory(list.child.pid)
      for (const size of ctx.plan.listSizes) {
        const started = performance.now()
        ids.push(...await seedCouch(ctx.documents, ctx.couch, listDb, size - ids.length))
        ctx.log(`seeded ${size} zerglings through _bulk_docs in ${((performance.now() - started) / 1000).toFixed(1)} s`)
        results.push(await listScenario(ctx, 'couchdb', list.baseUrl, ids))
      }
      memory.push({ process: 'overmind couchdb: list scenarios', ...sampler.stop() })
    } finally {
      await list.child.stop()
    }
  } finally {
    for (const name of created) {
      await deleteDatabase(ctx.couch, name).catch((error: unknown) => { ctx.log(`could not delete ${name}: ${String(error)}`) })
    }
  }
  return { results, memory }
}
