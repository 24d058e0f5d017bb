// Migration 001 under load (issue 16): a database of zerglings in the original shape (commandHistory
// inline, three of them with 20 000 commands), `overmind bootstrap migrate` run on it as an init
// container runs it, while a replica takes commands on zerglings being migrated. Measured: the
// documents migrated per second (seeded / the migrate run's wall time), and the commands' p99
// during the migration beside the same load on the same zerglings once they are migrated. Every
// command must answer 200 or 503 (a 503 is counted), and the migrate run must exit 0.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Agent, request } from 'node:http'
import { seedOriginalShape } from '../../test/support/original-shape.js'
import type { BenchContext } from '../support/context.js'
import { deleteDatabase } from '../support/couch.js'
import { startOvermind } from '../support/overmind.js'
import { spawnNode } from '../support/processes.js'

export interface MigrationBenchResult {
  zerglings: number
  migrateSeconds: number
  documentsPerSecond: number
  /** Command latency through one replica, c=10, on zerglings the migration is moving. */
  during: LoopFigures
  after: LoopFigures
}

interface LoopFigures { commands: number, p50: number, p99: number, unavailable: number }

const CONCURRENCY = 10
const LOADED_ZERGLINGS = 240

export async function migrationScenario (ctx: BenchContext): Promise<MigrationBenchResult> {
  const zerglings = ctx.plan.quick ? 2000 : 10_000
  const database = `overmind_bench_migration_${Date.now()}_${randomBytes(3).toString('hex')}`
  const data = await seedOriginalShape(ctx.couch, database, { zerglings, long: 3, longCommands: 20_000 })
  try {
    const serve = await startOvermind(ctx, 'overmind-couchdb-migration', { store: 'couchdb', database })
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
    try {
      // Spread over the id order the migration walks, so commands meet pages being migrated.
      const ids = [...data.histories.keys()].sort().filter((_, i) => i % Math.floor(zerglings / LOADED_ZERGLINGS) === 0)
      ctx.log(`migration: ${zerglings} zerglings in the original shape; migrating under a command load`)
      const started = performance.now()
      const migrate = spawnNode({
        name: 'overmind-migrate',
        args: [ctx.serviceMain, 'bootstrap', 'migrate'],
        env: { NODE_OPTIONS: ctx.nodeOptions, COUCHDB_URL: ctx.couch.url, COUCHDB_USERNAME: ctx.couch.username, COUCHDB_PASSWORD: ctx.couch.password, OVERMIND_DATABASE: database, OVERMIND_LOG_LEVEL: 'warn' },
        logFile: join(ctx.tmpDir, 'overmind-migrate.log')
      })
      let migrated = false
      const exited = migrate.exited.then((code) => { migrated = true; return code })
      const during = await commandLoop(serve.baseUrl, agent, ids, () => migrated)
      const code = await exited
      const migrateSeconds = (performance.now() - started) / 1000
      if (code !== 0) throw new Error(`overmind bootstrap migrate exited ${code} (${migrate.logFile})`)
      const after = await commandLoop(serve.baseUrl, agent, ids, deadline(migrateSeconds * 1000))
      return { zerglings, migrateSeconds, documentsPerSecond: zerglings / migrateSeconds, during, after }
    } finally {
      agent.destroy()
      await serve.child.stop()
    }
  } finally {
    await deleteDatabase(ctx.couch, database).catch(() => {})
  }
}

function deadline (ms: number): () => boolean {
  const until = performance.now() + Math.max(ms, 1000)
  return () => performance.now() >= until
}

/** CONCURRENCY loops of one "M" each on the zerglings in turn until `done()`; 200 and 503 only. */
async function commandLoop (baseUrl: string, agent: Agent, ids: string[], done: () => boolean): Promise<LoopFigures> {
  const latencies: number[] = []
  let unavailable = 0
  let next = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (!done()) {
      const id = ids[next++ % ids.length]!
      const sent = performance.now()
      const status = await post(`${baseUrl}/zerglings/${id}?history=none`, agent, '"M"')
      if (status === 503) unavailable++
      else if (status !== 200) throw new Error(`a command during the migration answered ${status}`)
      latencies.push(performance.now() - sent)
    }
  }))
  latencies.sort((a, b) => a - b)
  const at = (q: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN)
  return { commands: latencies.length, p50: at(0.5), p99: at(0.99), unavailable }
}

async function post (url: string, agent: Agent, body: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    })
    req.on('error', reject)
    req.end(body)
  })
}
