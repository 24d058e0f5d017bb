// Everything measured on the embedded store (PouchDB on leveldb in a temp directory): the
// service's throughput and history scenarios, the raw store beside it, and list latency on a
// small and a large database — seeded straight into leveldb while no service holds it.
import { join } from 'node:path'
import { openRawStore, rawCommandSlice, rawStoreBaselines } from '../baselines/raw-store.js'
import { startStoreFastify } from '../baselines/store-fastify.js'
import type { Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { startOvermind } from '../support/overmind.js'
import type { LoadResult } from '../support/result.js'
import { sampleMemory, type MemoryRecord } from '../support/rss.js'
import { seedEmbedded } from '../support/seed.js'
import { historyScenarios } from './history.js'
import { listScenario } from './list.js'
import { throughputScenarios } from './throughput.js'

export async function benchEmbedded (ctx: BenchContext): Promise<{ results: LoadResult[], memory: MemoryRecord[] }> {
  const results: LoadResult[] = []
  const memory: MemoryRecord[] = []

  // The service's commands alternate with the raw store's (in this process) and with those of a
  // bare Fastify around the same store (its own process): the three figures a ratio pairs are
  // taken side by side, not minutes apart.
  const store = await openRawStore(ctx, 'embedded', 'zerglings')
  try {
    // A --service-ref from before store.command(id, request) has no store this baseline can drive.
    const around = await startStoreFastify(ctx).catch((error: unknown) => {
      ctx.log(`the bare Fastify around the store did not start, measuring without it: ${(error as Error).message.split('\n')[0]!}`)
      return undefined
    })
    const serve = await startOvermind(ctx, 'overmind-embedded', { store: 'embedded', dataDir: join(ctx.tmpDir, 'embedded') })
    try {
      const sampler = sampleMemory(serve.child.pid)
      const commandMany = async (c: number): Promise<Slice[]> => [await rawCommandSlice(ctx, store, c), ...(around === undefined ? [] : [await around.commandMany(c)])]
      results.push(...await throughputScenarios(ctx, 'embedded', serve.baseUrl, { get: ctx.ceiling?.get, commandMany }))
      results.push(...await historyScenarios(ctx, 'embedded', serve.baseUrl))
      memory.push({ process: 'overmind embedded: throughput and history scenarios', ...sampler.stop() })
    } finally {
      await serve.child.stop()
      await around?.stop()
    }
    results.push(...await rawStoreBaselines(ctx, store, { commands: false }))
  } finally {
    await store.close()
  }

  const listDir = join(ctx.tmpDir, 'list-embedded')
  const [small, large] = ctx.plan.listSizes
  const ids = await seedEmbedded(ctx.documents, listDir, 'zerglings', small)
  for (const size of [small, large]) {
    if (size > ids.length) {
      const started = performance.now()
      ids.push(...await seedEmbedded(ctx.documents, listDir, 'zerglings', size - ids.length))
      ctx.log(`seeded ${size} zerglings into leveldb in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }
    const list = await startOvermind(ctx, `overmind-embedded-list-${size}`, { store: 'embedded', dataDir: listDir })
    try {
      const sampler = sampleMemory(list.child.pid)
      results.push(await listScenario(ctx, 'embedded', list.baseUrl, ids))
      memory.push({ process: `overmind embedded: list with ${size} zerglings`, ...sampler.stop() })
    } finally {
      await list.child.stop()
    }
  }
  return { results, memory }
}
