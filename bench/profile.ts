// `node --import tsx bench/profile.ts [--scenario get|command-many] [--store embedded|couchdb] [--connections N]
// [--seconds S] [--top N] [--service-ref REF]`: a CPU profile (`node --cpu-prof`) of the service under one of
// the bench's scenarios — `get` (one zergling with a three-command history per connection,
// `GET /zerglings/{id}`) or `command-many` (a zergling per connection, `POST /zerglings/{id} "M"`),
// default parameters, on the embedded store or the latency-modelled CouchDB double — and where its
// time went: by package and by function, self time (of the working tree's service, or of REF's,
// e.g. main, to compare). The profile is
// kept in bench/results/tmp/profile (git-ignored; open it in Chrome's DevTools); bench/NOTES.md
// has the summary of the last one.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildService } from './support/build.js'
import { QUICK_PLAN, type BenchContext } from './support/context.js'
import { createDatabase } from './support/couch.js'
import { startCouch } from './support/couch-process.js'
import { runLoad } from './support/load.js'
import { imageNodeOptions, startOvermind } from './support/overmind.js'
import { ROOT, stopAll } from './support/processes.js'
import { commandThroughApi, spawnThroughApi, type DocumentFactory } from './support/seed.js'
import { summariseProfile, type CpuProfile } from './support/cpu-profile.js'

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { scenario: { type: 'string', default: 'get' }, store: { type: 'string', default: 'embedded' }, connections: { type: 'string', default: '10' }, seconds: { type: 'string', default: '10' }, top: { type: 'string', default: '25' }, 'service-ref': { type: 'string' } } })
  const connections = Number(values.connections)
  const { scenario, store } = values
  if (scenario !== 'get' && scenario !== 'command-many') throw new Error(`--scenario is get or command-many, not ${scenario}`)
  if (store !== 'embedded' && store !== 'couchdb') throw new Error(`--store is embedded or couchdb, not ${store}`)
  const dir = join(ROOT, 'bench', 'results', 'tmp', 'profile')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const log = (message: string): void => { process.stderr.write(`[profile] ${message}\n`) }
  const ref = values['service-ref']
  const build = await buildService(ROOT, join(ROOT, 'bench', 'results', 'tmp', ref === undefined ? 'build' : 'build-of-ref'), ref)
  const noDocuments: DocumentFactory = () => []
  let skipMs = 0
  const ctx: BenchContext = { plan: QUICK_PLAN, tmpDir: dir, serviceMain: build.main, nodeOptions: imageNodeOptions(build.dockerfile), documents: noDocuments, couch: { url: '', username: '', password: '', kind: 'double' }, log }
  try {
    if (store === 'couchdb') {
      ctx.couch = await startCouch(dir, log)
      await createDatabase(ctx.couch, 'zerglings')
    }
    const spawned = performance.now()
    const storeEnv = store === 'embedded' ? { store, dataDir: join(dir, 'data') } as const : { store, database: 'zerglings' } as const
    const serve = await startOvermind(ctx, 'overmind-profiled', storeEnv, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
    const ids = await spawnThroughApi(serve.baseUrl, connections)
    if (scenario === 'get') for (const id of ids) await commandThroughApi(serve.baseUrl, id, 'LMR')
    // The summary leaves out start-up and seeding (the child started a little after `spawned`).
    skipMs = performance.now() - spawned
    log(`${scenario} on ${store}, c=${connections} for ${values.seconds} s`)
    const request = scenario === 'get' ? {} : { method: 'POST' as const, body: JSON.stringify('M') }
    const result = await runLoad({ scenario, target: store, url: serve.baseUrl, connections, warmupS: 1, durationS: Number(values.seconds), ...request, pathFor: (i) => `/zerglings/${ids[i % connections]!}` })
    log(`${result.rps} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, errors ${result.non2xx + result.errors}`)
    await serve.child.stop()
  } finally {
    await stopAll()
  }
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'))
  if (file === undefined) throw new Error('the service wrote no .cpuprofile (did it exit cleanly?)')
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile
  process.stdout.write(`${summariseProfile(profile, Number(values.top), skipMs)}\n\nprofile: ${join(dir, file)}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
