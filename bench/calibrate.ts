// `node --import tsx bench/calibrate.ts [--out FILE] [--compare FILE] [--no-model] [--only TEXT]`: what one kind of CouchDB
// request costs at 1, 10 and 50 concurrent clients — the figures the double's latency model
// (test/support/couch-double/latency-model.ts) is calibrated from and checked against. Measures
// COUCHDB_BENCH_URL when set, else the double with the model on, in its own process as the bench
// runs it (--no-model: without it); --only measures the kinds whose name contains TEXT. Every client logs in once (POST /_session) and sends the cookie, as the service does;
// each has a document of its own. --compare adds the figures of an earlier run (a real server)
// beside this one's.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { basicAuth, bulkDocs, createDatabase, deleteDatabase, send, sessionCookie, type CouchServer } from './support/couch.js'
import { startCouch } from './support/couch-process.js'
import { runLoop } from './support/loop-harness.js'
import { stopAll } from './support/processes.js'
import type { LoadResult } from './support/result.js'

const CONCURRENCIES = [1, 10, 50]
const WARMUP_S = 1
const DURATION_S = 3
/** Documents in the database that `_all_docs` pages through. */
const LISTED = 2000

interface Kind {
  name: string
  /** One request of this kind by `worker`, which owns document `ids[worker]`. */
  operation: (worker: number) => Promise<void>
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, compare: { type: 'string' }, 'no-model': { type: 'boolean' }, only: { type: 'string' } } })
  const tmp = await mkdtemp(join(tmpdir(), 'overmind-calibrate-'))
  const log = (message: string): void => { process.stderr.write(`[calibrate] ${message}\n`) }
  const results: LoadResult[] = []
  let server: CouchServer | undefined
  const database = `overmind_calibrate_${Date.now()}`
  try {
    server = await startCouch(tmp, log, { latencyModel: values['no-model'] !== true })
    await createDatabase(server, database)
    const listed = Array.from({ length: LISTED }, (_, i) => `listed-${String(i).padStart(5, '0')}`)
    await bulkDocs(server, database, listed.map((_id) => ({ _id, ...zergling() })))
    for (const concurrency of CONCURRENCIES) {
      const kinds = await prepareKinds(server, database, concurrency, listed)
      for (const kind of kinds.filter((k) => values.only === undefined || k.name.includes(values.only))) {
        log(`${kind.name} c=${concurrency}`)
        results.push(await runLoop({ scenario: kind.name, target: server.kind, concurrency, warmupS: WARMUP_S, durationS: DURATION_S, operation: kind.operation }))
      }
    }
  } finally {
    if (server !== undefined) await deleteDatabase(server, database).catch(() => {})
    await stopAll()
    await rm(tmp, { recursive: true, force: true })
  }
  if (values.out !== undefined) await writeFile(values.out, JSON.stringify(results, null, 2) + '\n')
  const earlier = values.compare === undefined ? undefined : JSON.parse(await readFile(values.compare, 'utf8')) as LoadResult[]
  process.stdout.write(table(results, earlier) + '\n')
}

/** A zergling-sized document. */
function zergling (): Record<string, unknown> {
  return { type: 'zergling', location: { x: 0, y: 0 }, facing: 'N', recentCommands: 'LMR', historyLength: 3, historyChunks: 0 }
}

async function prepareKinds (server: CouchServer, database: string, concurrency: number, listed: string[]): Promise<Kind[]> {
  const base = `${server.url}/${database}`
  const cookie = { cookie: await sessionCookie(server) }
  const basic = { authorization: basicAuth(server) }
  const ids = Array.from({ length: concurrency }, () => crypto.randomUUID())
  const revs = await Promise.all(ids.map(async (id) => (await send('PUT', `${base}/${id}`, cookie, zergling()) as { rev: string }).rev))
  const page = (rows: number) => async (): Promise<void> => {
    const start = listed[Math.floor(Math.random() * (listed.length - rows))]!
    await send('GET', `${base}/_all_docs?include_docs=true&limit=${rows}&startkey=${encodeURIComponent(JSON.stringify(start))}`, cookie)
  }
  return [
    { name: 'document GET', operation: async (w) => { await send('GET', `${base}/${ids[w]!}`, cookie) } },
    { name: 'document GET (basic auth)', operation: async (w) => { await send('GET', `${base}/${ids[w]!}`, basic) } },
    {
      name: 'document PUT',
      operation: async (w) => {
        const answer = await send('PUT', `${base}/${ids[w]!}`, cookie, { ...zergling(), _rev: revs[w] }) as { rev: string }
        revs[w] = answer.rev
      }
    },
    { name: 'document POST (new)', operation: async () => { await send('POST', base, cookie, zergling()) } },
    { name: '_all_docs include_docs limit=1', operation: page(1) },
    { name: '_all_docs include_docs limit=100', operation: page(100) },
    { name: 'POST /_session', operation: async () => { await sessionCookie(server) } },
    { name: 'GET /_up (other)', operation: async () => { await send('GET', `${server.url}/_up`, cookie) } }
  ]
}

function table (results: LoadResult[], earlier: LoadResult[] | undefined): string {
  const head = earlier === undefined
    ? ['| kind | c | p50 ms | p99 ms | req/s |', '|---|---:|---:|---:|---:|']
    : ['| kind | c | p50 ms | p99 ms | req/s | earlier p50 ms | earlier p99 ms | earlier req/s | p50 this / earlier |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
  const rows = results.map((r) => {
    const mine = `| ${r.scenario} | ${r.connections} | ${r.p50} | ${r.p99} | ${Math.round(r.rps)} |`
    if (earlier === undefined) return mine
    const other = earlier.find((e) => e.scenario === r.scenario && e.connections === r.connections)
    return other === undefined ? `${mine} | | | | |` : `${mine} ${other.p50} | ${other.p99} | ${Math.round(other.rps)} | ${(r.p50 / other.p50).toFixed(2)} |`
  })
  return [...head, ...rows].join('\n')
}

main().catch((error: unknown) => {
  process.stderr.write(`calibrate failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
