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
import { streamScenario, type StreamBenchResult } from './scenarios/stream.js'
import { migrationScenario, type MigrationBenchResult } from './scenarios/migration.js'
import { buildService } from './support/build.js'
import { FULL_PLAN, QUICK_PLAN, type BenchContext } from './support/context.js'
import { startCouch } from './support/couch-process.js'
import { imageNodeOptions } from './support/overmind.js'
import { ROOT, stopAll } from './support/processes.js'
import type { LoadResult } from './support/result.js'
import type { MemoryRecord } from './support/rss.js'
import { learnDocuments } from './support/seed.js'

const HELP = `usage: npm run bench [-- --quick] [-- --couchdb-only] [-- --service-ref REF] [-- --name NAME] [-- --keep-tmp]

  --quick         under a minute: one concurrency, short runs, small databases (same outputs)
  --couchdb-only  only the CouchDB scenarios (to compare the double with a real server)
  --service-ref REF  benchmark the service of that commit (e.g. main) with this bench, to compare
  --name NAME     write bench/results/NAME.{json,md,svg} instead of latest.* (tmp/NAME: not committed)
  --keep-tmp      keep bench/results/tmp/run (logs of every process) after the run

CouchDB is the CouchDB-protocol double with its CouchDB 3.4 latency model, in its own process;
COUCHDB_BENCH_URL=http://admin:PASS@HOST:5984 benchmarks a real CouchDB instead.`

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, 'couchdb-only': { type: 'boolean' }, 'service-ref': { type: 'string' }, name: { type: 'string' }, 'keep-tmp': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }
  })
  if (values.help === true) {
    process.stdout.write(HELP + '\n')
    return 0
  }
  const plan = values.quick === true ? QUICK_PLAN : FULL_PLAN
  const started = Date.now()
  const resultsDir = join(ROOT, 'bench', 'results')
  const tmpDir = join(resultsDir, 'tmp', 'run')
  const serviceRef = values['service-ref']
  // A ref's build has a directory of its own: the working tree's stays incremental.
  const buildDir = join(resultsDir, 'tmp', serviceRef === undefined ? 'build' : 'build-of-ref')
  const log = (message: string): void => { process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`) }

  // Ctrl-C still stops every child (the finally below does not run on a signal).
  process.once('SIGINT', () => { stopAll().finally(() => process.exit(130)) })
  await rm(tmpDir, { recursive: true, force: true })
  await mkdir(tmpDir, { recursive: true })

  const results: LoadResult[] = []
  const memory: MemoryRecord[] = []
  let readyMs: number[] = []
  let stream: StreamBenchResult | undefined
  let migration: MigrationBenchResult | undefined
  let nodeOptions = ''
  const notes: string[] = []
  try {
    log(`compiling the service${serviceRef === undefined ? '' : ` of ${serviceRef}`}`)
    const build = await buildService(ROOT, buildDir, serviceRef)
    if (build.warnings !== '') notes.push('tsc reported type errors while compiling the service (a change in progress); the emitted JavaScript was benchmarked.')
    const couch = await startCouch(tmpDir, log)
    nodeOptions = imageNodeOptions(build.dockerfile)
    const ctx: BenchContext = { plan, tmpDir, serviceMain: build.main, nodeOptions, documents: await learnDocuments(join(tmpDir, 'template')), couch, log }

    if (values['couchdb-only'] !== true) {
      ctx.ceiling = await startBareFastify(ctx)
      readyMs = await readyScenario(ctx)
      const embedded = await benchEmbedded(ctx)
      results.push(...embedded.results)
      memory.push(...embedded.memory)
      await ctx.ceiling.stop()
      log('stream: 1000 SSE clients on one embedded replica while commands run')
      try {
        stream = await streamScenario(ctx)
      } catch (error) {
        // A --service-ref from before the change stream has none to measure.
        notes.push(`The stream scenario did not run: ${(error as Error).message}`)
      }
    }
    const couchdb = await benchCouch(ctx)
    results.push(...couchdb.results)
    memory.push(...couchdb.memory)
    try {
      migration = await migrationScenario(ctx)
      log(`migration: ${Math.round(migration.documentsPerSecond)} documents/s; command p99 ${migration.during.p99} ms during, ${migration.after.p99} ms after`)
    } catch (error) {
      // A --service-ref from before `bootstrap migrate` has none to measure.
      notes.push(`The migration scenario did not run: ${(error as Error).message}`)
    }
  } finally {
    await stopAll()
    if (values['keep-tmp'] !== true) await rm(tmpDir, { recursive: true, force: true })
  }

  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    plan,
    machine: machine(),
    git: gitState(serviceRef),
    couchdb: process.env.COUCHDB_BENCH_URL === undefined ? 'double' : 'real',
    results,
    memory,
    readyMs,
    ...(stream === undefined ? {} : { stream }),
    ...(migration === undefined ? {} : { migration }),
    targets: computeTargets(results, memory, readyMs, plan.concurrencies, stream),
    notes: [...notes, ...standingNotes(process.env.COUCHDB_BENCH_URL === undefined, nodeOptions)]
  }
  for (const file of await writeReports(resultsDir, report, values.name)) log(`wrote ${file}`)
  for (const t of report.targets) log(`${t.pass ? 'met   ' : 'MISSED'}  ${t.name}: ${t.value} (${t.comparison} ${t.limit})`)
  return 0
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

/** The commit the service was built from; a ref's build is that commit exactly. */
function gitState (ref?: string): BenchReport['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', ref ?? 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    if (ref !== undefined) return { commit, dirty: false, ref }
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== ''
    return { commit, dirty }
  } catch {
    return { commit: 'unknown', dirty: false }
  }
}

/** What a reader of the figures must know about how they were taken. */
function standingNotes (onDouble: boolean, nodeOptions: string): string[] {
  return [
    'Requests carry the default parameters (a command answers the whole history) unless the request column shows a query.',
    'Ratios to a baseline (bare Fastify, the plain client) come from alternating slices, each side keeping its best.',
    'The plain client logs in as the service does by default: one POST /_session, then the AuthSession cookie.',
    'command-history: one connection, a fixed number of single commands per history length and query, each adding one command to that history.',
    'list: `GET /zerglings/?limit=100`, one page in ten from the start, the rest from cursors spread over the id range, 10 connections.',
    'couchdb-tracing-off / couchdb-tracing-on: the same commands on distinct zerglings through two replicas on one database, `OVERMIND_TRACING=off` and `on` without an exporter (every span recorded, then dropped), in alternating slices at the highest concurrency. Off is the default every other row runs with; `--service-ref main` compares it with the service before tracing existed.',
    ...(onDouble
      ? [
          'CouchDB is the double with its CouchDB 3.4 latency model (test/support/couch-double/latency-model.ts): every request takes the median time a real CouchDB 3.4.3 took on this kind of machine for its kind at the number of requests in flight (issue 13; calibration tables in bench/NOTES.md); spread and CPU use are not modelled. The double keeps 20 revisions per document (`_revs_limit`).',
          'list on the CouchDB double: the double is PouchDB\'s memory adapter behind CouchDB\'s API (it keeps a sorted id index for `_all_docs` offsets, caught up from its changes feed, as CouchDB reads them from its b-tree); COUCHDB_BENCH_URL measures a real CouchDB.'
        ]
      : ['CouchDB: a real server from COUCHDB_BENCH_URL.']),
    `Memory: the service runs with the image's NODE_OPTIONS (\`${nodeOptions}\`, from its Dockerfile); VmHWM is the peak over the life of the process (seeding included); VmRSS is sampled every 250 ms.`
  ]
}

// Exits when done: a scenario that failed half-way (a service with no stream) may leave sockets
// of its own open, which would keep the run alive after its report is written.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  }
)
