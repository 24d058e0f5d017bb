// `npm run bench [-- --quick]`: measures overmind against the limits of this machine in one run —
// the service on the embedded store and on CouchDB, beside a bare Fastify server (the HTTP
// ceiling), the raw store (the storage ceiling) and a plain CouchDB client — and writes
// bench/results/latest.{json,md,svg}. Every process it starts is stopped at the end, also when a
// scenario fails or the run is interrupted. All traffic goes to 127.0.0.1 (or COUCHDB_BENCH_URL).
import { execFileSync } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startBareFastify } from './baselines/bare-fastify.js'
import { computeTargets } from './report/targets.js'
import type { BenchReport, Machine } from './report/model.js'
import { writeReports } from './report/write.js'
import { benchCouch } from './scenarios/couchdb.js'
import { benchEmbedded } from './scenarios/embedded.js'
import { readyScenario } from './scenarios/ready.js'
import { buildService } from './support/build.js'
import { FULL_PLAN, QUICK_PLAN, type BenchContext } from './support/context.js'
import { parseCouchUrl, type CouchServer } from './support/couch.js'
import { freePort, ROOT, spawnNode, stopAll, waitFor200 } from './support/processes.js'
import type { LoadResult } from './support/result.js'
import type { MemoryRecord } from './support/rss.js'
import { learnDocuments } from './support/seed.js'

const HELP = `usage: npm run bench [-- --quick] [-- --keep-tmp]

  --quick      under a minute: one concurrency, short runs, small databases (same outputs)
  --keep-tmp   keep bench/results/tmp/run (logs of every process) after the run

COUCHDB_BENCH_URL=http://admin:PASS@HOST:5984 benchmarks a real CouchDB instead of the double.`

const DOUBLE_PASSWORD = 'bench-double-admin'

async function main (): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, 'keep-tmp': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help === true) {
    process.stdout.write(HELP + '\n')
    return 0
  }
  const plan = values.quick === true ? QUICK_PLAN : FULL_PLAN
  const started = Date.now()
  const resultsDir = join(ROOT, 'bench', 'results')
  const tmpDir = join(resultsDir, 'tmp', 'run')
  const buildDir = join(resultsDir, 'tmp', 'build')
  const log = (message: string): void => { process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`) }

  // Ctrl-C still stops every child (the finally below does not run on a signal).
  process.once('SIGINT', () => { stopAll().finally(() => process.exit(130)) })
  await rm(tmpDir, { recursive: true, force: true })
  await mkdir(tmpDir, { recursive: true })

  const results: LoadResult[] = []
  const memory: MemoryRecord[] = []
  let readyMs: number[] = []
  const notes: string[] = []
  try {
    log('compiling the service')
    const build = await buildService(ROOT, buildDir)
    if (build.warnings !== '') notes.push('tsc reported type errors while compiling the service (a change in progress); the emitted JavaScript was benchmarked.')
    const couch = await startCouch(tmpDir, log)
    const ctx: BenchContext = { plan, tmpDir, serviceMain: build.main, documents: await learnDocuments(join(tmpDir, 'template')), couch, log }

    ctx.ceiling = await startBareFastify(ctx)
    readyMs = await readyScenario(ctx)
    const embedded = await benchEmbedded(ctx)
    results.push(...embedded.results)
    memory.push(...embedded.memory)
    await ctx.ceiling.stop()
    const couchdb = await benchCouch(ctx)
    results.push(...couchdb.results)
    memory.push(...couchdb.memory)
  } finally {
    await stopAll()
    if (values['keep-tmp'] !== true) await rm(tmpDir, { recursive: true, force: true })
  }

  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    plan,
    machine: machine(),
    git: gitState(),
    couchdb: process.env.COUCHDB_BENCH_URL === undefined ? 'double' : 'real',
    results,
    memory,
    readyMs,
    targets: computeTargets(results, memory, readyMs, plan.concurrencies),
    notes: [...notes, ...standingNotes(process.env.COUCHDB_BENCH_URL === undefined)]
  }
  for (const file of await writeReports(resultsDir, report)) log(`wrote ${file}`)
  for (const t of report.targets) log(`${t.pass ? 'pass' : 'FAIL'}  ${t.name}: ${t.value} (${t.comparison} ${t.limit})`)
  return 0
}

/** The real CouchDB from COUCHDB_BENCH_URL, or the double in its own process. */
async function startCouch (tmpDir: string, log: (message: string) => void): Promise<CouchServer> {
  const raw = process.env.COUCHDB_BENCH_URL
  if (raw !== undefined && raw !== '') {
    const server = parseCouchUrl(raw, 'real')
    log(`CouchDB: ${server.url} (COUCHDB_BENCH_URL)`)
    return server
  }
  const port = await freePort()
  const child = spawnNode({
    name: 'couch-double',
    args: ['--import', 'tsx', 'bench/baselines/couch-double-server.ts', String(port)],
    env: { BENCH_COUCH_PASSWORD: DOUBLE_PASSWORD },
    logFile: join(tmpDir, 'couch-double.log')
  })
  const url = `http://127.0.0.1:${port}`
  await waitFor200(`${url}/`, child, performance.now())
  log(`CouchDB: the double at ${url}`)
  return { url, username: 'admin', password: DOUBLE_PASSWORD, kind: 'double' }
}

function machine (): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`
  }
}

function gitState (): BenchReport['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== ''
    return { commit, dirty }
  } catch {
    return { commit: 'unknown', dirty: false }
  }
}

/** What a reader of the figures must know about how they were taken. */
function standingNotes (onDouble: boolean): string[] {
  return [
    'Commands are sent with `?history=none`; a service that does not know the parameter answers the whole history, and the command-history figures then include serialising it.',
    'command-history: one connection, a fixed number of single commands per history length, each adding one command to that history.',
    'list: `GET /zerglings/?limit=100`, one page in ten from the start, the rest from cursors spread over the id range, 10 connections.',
    ...(onDouble ? [] : ['CouchDB: a real server from COUCHDB_BENCH_URL.']),
    ...(!onDouble ? [] : ['list on the CouchDB double: the double is PouchDB\'s memory adapter behind CouchDB\'s API (it keeps a sorted id index for `_all_docs` offsets, rebuilt after each write, as CouchDB reads them from its b-tree); COUCHDB_BENCH_URL measures a real CouchDB.']),
    'Memory: VmHWM is the peak over the life of the process (seeding included); VmRSS is sampled every 250 ms.'
  ]
}

main().then(
  (code) => { process.exitCode = code },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exitCode = 1
  }
)
