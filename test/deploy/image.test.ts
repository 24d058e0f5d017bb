// The image, as far as this machine allows (no Docker engine): the Dockerfile's stages are replayed
// on a clean copy of the working tree, and the runtime stage (production dependencies only) must
// run `overmind serve` as the image's user and answer the probes the manifests use.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { startCouchDouble } from '../support/couch-double/index.js'
import { dirname, join } from 'node:path'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { inStage, parseDockerfile, replayDockerfile, type Instruction, type Stage } from './dockerfile.js'
import { allContainers, isOvermindContainer, kubectlMissing, podTemplate, REPO_ROOT, renderOverlay } from './manifests.js'
import { freePort } from '../support/free-port.js'

const execFileAsync = promisify(execFile)

const dockerfile: Instruction[] = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))
const packageVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version
const isRoot = process.getuid?.() === 0
// `serve` is built by another change; until its module exists the image has nothing to run.
const serveMissing = existsSync(join(REPO_ROOT, 'src/cli/serve.ts')) ? undefined : 'src/cli/serve.ts does not exist yet'

async function waitForAnswer (url: string, child: ChildProcess, withinMs: number): Promise<Response> {
  const deadline = Date.now() + withinMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`overmind exited with ${child.exitCode} before answering ${url}`)
    try {
      return await fetch(url, { signal: AbortSignal.timeout(1000) })
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}

/** Tracked and untracked-but-not-ignored files: what `docker build .` would see, less .gitignore. */
function copyWorkingTree (into: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' })
  assert.equal(listed.status, 0, listed.stderr)
  for (const file of listed.stdout.split('\0').filter((name) => name !== '' && existsSync(join(REPO_ROOT, name)))) {
    mkdirSync(dirname(join(into, file)), { recursive: true })
    cpSync(join(REPO_ROOT, file), join(into, file))
  }
}

/** `name@version` of every package under a node_modules directory, nested ones included. */
function installedPackages (modules: string): Set<string> {
  const found = new Set<string>()
  if (!existsSync(modules)) return found
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue
    const dirs = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((name) => join(modules, entry, name)) : [join(modules, entry)]
    for (const dir of dirs) {
      const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string, version: string }
      found.add(`${name}@${version}`)
      for (const nested of installedPackages(join(dir, 'node_modules'))) found.add(nested)
    }
  }
  return found
}

describe('the overmind image', () => {
  test('when the Dockerfile is read then it builds in two stages from a pinned Node LTS and runs overmind serve as a numeric non-root user', () => {
    const froms = dockerfile.filter((line) => line.keyword === 'FROM').map((line) => line.args)
    assert.deepEqual(froms.map((from) => from.split(/\s+AS\s+/i)[1]), ['build', 'runtime'])
    const nodeImage = dockerfile.find((line) => line.keyword === 'ARG' && line.args.startsWith('NODE_IMAGE='))?.args ?? ''
    const image = /^NODE_IMAGE=node:(\d+)\.\d+\.\d+-[a-z]+-slim$/.exec(nodeImage)
    assert.ok(froms.every((from) => from.startsWith('$' + '{NODE_IMAGE}')), 'both stages use the one pinned image')
    assert.ok(image !== null, 'the Node image is pinned to an exact version of a slim Debian variant')
    assert.equal(Number(image[1]) % 2, 0, 'an even major: only even Node lines become LTS')
    const runtime = dockerfile.slice(dockerfile.findIndex((line) => line.keyword === 'FROM' && /AS runtime$/.test(line.args)))
    const runs = runtime.filter((line) => line.keyword === 'RUN').map((line) => line.args)
    assert.ok(runs.some((run) => /npm ci .*--omit=dev/.test(run) && /--ignore-scripts/.test(run)), 'the runtime installs production dependencies without running prepare (tsc)')
    assert.match(runtime.find((line) => line.keyword === 'USER')?.args ?? '', /^[1-9]\d*(:\d+)?$/)
    assert.deepEqual(JSON.parse(runtime.find((line) => line.keyword === 'ENTRYPOINT')?.args ?? 'null'), ['node', '/app/dist/cli/main.js'])
    assert.deepEqual(JSON.parse(runtime.find((line) => line.keyword === 'CMD')?.args ?? 'null'), ['serve'])
  })

  test('when the manifests name the overmind image then its tag is the package version', { skip: kubectlMissing() }, () => {
    for (const overlay of ['dev', 'production'] as const) {
      const pod = podTemplate(renderOverlay(overlay), 'Deployment', 'overmind').spec
      for (const container of [...pod.initContainers ?? [], ...pod.containers]) assert.equal(container.image, `overmind:${packageVersion}`, `${overlay} ${container.name}`)
      // Every workload, the production backup CronJob too (its overlay pins the tag again).
      for (const ref of allContainers(renderOverlay(overlay)).filter(({ container }) => isOvermindContainer(container))) {
        assert.equal(ref.container.image, `overmind:${packageVersion}`, `${overlay} ${ref.pod.owner.kind} ${ref.container.name}`)
      }
    }
  })

  describe('when its stages are replayed on a clean copy of the tree', { skip: isRoot ? serveMissing : 'the RUN steps chown like docker build, which needs root' }, () => {
    let workDir = ''
    let runtime: Stage
    let child: ChildProcess | undefined

    before(() => {
      workDir = mkdtempSync(join(tmpdir(), 'overmind-image-'))
      chmodSync(workDir, 0o755) // the image's user must reach the runtime stage under it
      const contextDir = join(workDir, 'context')
      mkdirSync(contextDir)
      copyWorkingTree(contextDir)
      const stages = replayDockerfile(dockerfile, {
        contextDir,
        workDir: join(workDir, 'stages'),
        // The packages are in this machine's npm cache already; don't ask the registry again.
        runEnv: { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
        buildArgs: { REVISION: 'replayed-revision', CREATED: '2026-01-02T03:04:05Z' }
      })
      runtime = stages.at(-1)!
    })

    after(() => {
      child?.kill('SIGKILL')
      if (workDir !== '') rmSync(workDir, { recursive: true, force: true })
    })

    test('then the runtime stage holds dist/ and production dependencies only', () => {
      assert.ok(existsSync(join(runtime.dir, 'dist/cli/main.js')))
      assert.ok(existsSync(join(runtime.dir, 'node_modules/fastify')))
      for (const devOnly of ['typescript', 'tsx', 'eslint', 'kubernetes-models']) {
        assert.equal(existsSync(join(runtime.dir, 'node_modules', devOnly)), false, `${devOnly} is a dev dependency`)
      }
    })

    test('then /app/sbom.cdx.json lists exactly the packages installed in the runtime stage, and the labels carry the build arguments', () => {
      const bom = JSON.parse(readFileSync(join(runtime.dir, 'sbom.cdx.json'), 'utf8')) as { components: Array<{ name: string, version: string }> }
      assert.deepEqual(new Set(bom.components.map(({ name, version }) => `${name}@${version}`)), installedPackages(join(runtime.dir, 'node_modules')))
      assert.equal(runtime.labels['org.opencontainers.image.revision'], 'replayed-revision')
      assert.equal(runtime.labels['org.opencontainers.image.created'], '2026-01-02T03:04:05Z')
      assert.equal(runtime.labels['org.opencontainers.image.version'], packageVersion)
    })

    test('then overmind serve starts as the image user on the embedded store, answers /_health and the manifest probes, and stops on SIGTERM', async () => {
      const port = await freePort()
      const [uid, gid] = (runtime.user ?? '').split(':').map(Number)
      const command = [...runtime.entrypoint, ...runtime.cmd].map((part) => inStage(runtime, part))
      assert.equal(command[0], 'node')
      child = spawn(process.execPath, command.slice(1), {
        cwd: runtime.dir,
        env: { PATH: process.env.PATH, ...inStage(runtime, runtime.env), OVERMIND_HTTP_ADDR: `127.0.0.1:${port}`, OVERMIND_LOG_LEVEL: 'warn' },
        uid,
        gid: gid ?? uid,
        stdio: ['ignore', 'ignore', 'pipe']
      })
      let stderr = ''
      child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      const base = `http://127.0.0.1:${port}`

      const health = await waitForAnswer(`${base}/_health`, child, 20_000)
      assert.equal(health.status, 200, stderr)
      assert.deepEqual(await health.json(), { health: { version: packageVersion, brain: 'ok' } })
      const probePaths = kubectlMissing() === undefined
        ? (() => {
            const container = podTemplate(renderOverlay('dev'), 'Deployment', 'overmind').spec.containers[0]!
            return [container.startupProbe, container.readinessProbe, container.livenessProbe].map((probe) => probe?.httpGet?.path)
          })()
        : ['/livez', '/readyz']
      for (const path of probePaths) {
        assert.ok(path !== undefined)
        assert.equal((await fetch(`${base}${path}`)).status, 200, `${path} answers 200 once the store is open`)
      }
      assert.ok(existsSync(join(runtime.dir, 'data')), 'the embedded store lives in OVERMIND_DATA_DIR')

      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const [code] = await exited as [number | null]
      child = undefined
      assert.equal(code, 0, stderr)
    })

    test('then overmind bootstrap --help runs from the production install and lists every step the init containers use', {
      skip: existsSync(join(REPO_ROOT, 'src/cli/bootstrap.ts')) ? undefined : 'src/cli/bootstrap.ts does not exist yet'
    }, () => {
      const command = [...runtime.entrypoint, 'bootstrap', '--help'].map((part) => inStage(runtime, part))
      const result = spawnSync(process.execPath, command.slice(1), { cwd: runtime.dir, encoding: 'utf8', env: { PATH: process.env.PATH } })
      assert.equal(result.status, 0, result.stderr)
      const steps = kubectlMissing() === undefined
        ? ['dev', 'production'].flatMap((overlay) => (podTemplate(renderOverlay(overlay as 'dev'), 'Deployment', 'overmind').spec.initContainers ?? []).flatMap((init) => (init.args ?? []).slice(1)))
        : []
      for (const step of steps) assert.match(result.stdout, new RegExp(`\\b${step}\\b`), `bootstrap --help lists ${step}`)
    })

    test('then overmind bootstrap from the production install prepares a fresh CouchDB, and serve then answers on it', async () => {
      const double = await startCouchDouble({ version: '3.4.3', admins: { admin: 'image-test-password' }, systemDatabases: false })
      try {
        const env = { PATH: process.env.PATH ?? '', ...inStage(runtime, runtime.env), COUCHDB_URL: double.url, COUCHDB_USERNAME: 'admin', COUCHDB_PASSWORD: 'image-test-password' }
        const bootstrap = [...runtime.entrypoint, 'bootstrap', '--json'].map((part) => inStage(runtime, part))
        // Not spawnSync: the double answers from this process's event loop.
        const result = await execFileAsync(process.execPath, bootstrap.slice(1), { cwd: runtime.dir, encoding: 'utf8', env, timeout: 60_000 })
        const report = JSON.parse(result.stdout) as { steps: Array<{ name: string, status: string }> }
        assert.equal(report.steps.find((step) => step.name === 'database')?.status, 'created')
        const port = await freePort()
        const serve = [...runtime.entrypoint, ...runtime.cmd].map((part) => inStage(runtime, part))
        child = spawn(process.execPath, serve.slice(1), { cwd: runtime.dir, env: { ...env, OVERMIND_HTTP_ADDR: `127.0.0.1:${port}`, OVERMIND_LOG_LEVEL: 'warn' }, stdio: 'ignore' })
        const ready = await waitForAnswer(`http://127.0.0.1:${port}/readyz`, child, 20_000)
        assert.equal(ready.status, 200)
        const spawned = await fetch(`http://127.0.0.1:${port}/zerglings/`, { method: 'POST' })
        assert.equal(spawned.status, 201)
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        assert.deepEqual(await exited, [0, null])
        child = undefined
      } finally {
        await double.close()
      }
    })
  })
})
