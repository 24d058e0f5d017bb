// The pod replay (issue 4): the rendered overmind pod run on this machine. Its init containers run
// in order, then its main container, each with the environment kubelet would give it and the
// overmind CLI standing in for the image; a CouchDB double stands in for the `couchdb` Service.
// The pod must become ready, answer the seed's curl session, and on SIGTERM finish a request in
// flight and exit 0 within the grace period.
// https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseHttpAddr } from '../../src/config.js'
import { startCouchDouble, type CouchDouble } from '../support/couch-double/index.js'
import { runOvermind, type OvermindProcess } from '../support/overmind-process.js'
import { curl, replaySeedSession, type RawResponse } from '../support/seed-session.js'
import { kubeletEnvironment, mountVolumes, overmindArgs, preStopSeconds, probePath, probePort, runtimeImage, type Secrets } from './kubelet.js'
import { containerEnvironment, containers, getObject, kubectlMissing, OVERLAYS, podTemplate, renderOverlay, type ContainerRef, type K8sObject } from './manifests.js'
import { freePort } from '../support/free-port.js'

// The Secret as docs/kubernetes.md creates it (`kubectl create secret generic couchdb-password
// --from-literal=...`; the production keys too), with test values: --from-literal adds no newline.
const SECRETS: Secrets = {
  'couchdb-password': {
    password: 'replay-admin-password',
    'app-password': 'replay-app-password',
    'erlang-cookie': 'replay-erlang-cookie',
    'cookie-auth-secret': 'replay-cookie-auth-secret'
  }
}
// An init container that does not finish by then is stuck (its wait timeout is minutes long).
const INIT_LIMIT_MS = 20_000
const READY_LIMIT_MS = 20_000
// Every CouchDB answer takes this long while the slow requests are in flight.
const SLOW_COUCHDB_MS = 1000

type ProbeResult = { status: number } | { error: string }

/** One HTTP GET as kubelet's prober makes it: a fresh connection, a timeout, no redirects followed. */
async function probe (url: string, timeoutMs: number): Promise<ProbeResult> {
  return await new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs, headers: { 'user-agent': 'kube-probe/1.32' } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
    req.end()
  })
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function exitWithin (process: OvermindProcess, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([process.exited, new Promise<string>((resolve) => { timer = setTimeout(resolve, ms, 'still running') })])
  clearTimeout(timer)
  if (outcome === 'still running') await process.kill('SIGKILL')
  return outcome
}

/** Polls a probe path, as kubelet does until the first success, while the process runs. */
async function untilOk (process: OvermindProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + READY_LIMIT_MS
  let last: ProbeResult = { error: 'never probed' }
  while (Date.now() < deadline) {
    last = await probe(url, timeoutMs)
    if ('status' in last && last.status === 200) return
    if (process.child.exitCode !== null) break
    await sleep(100)
  }
  assert.fail(`${url} did not answer 200 (last: ${JSON.stringify(last)}; exit ${String(process.child.exitCode)}):\n${process.output()}`)
}

const missing = kubectlMissing()
if (missing !== undefined) console.log(`# pod replay skipped: ${missing}`)

describe('pod replay', { skip: missing }, () => {
  for (const overlay of OVERLAYS) {
    describe(`deploy/overlays/${overlay}, Deployment overmind`, () => {
      const image = runtimeImage()
      let objects: K8sObject[] = []
      let pod: ContainerRef[] = []
      let double: CouchDouble | undefined
      let admin = ''
      let nodes = 1
      let root = ''
      const started: OvermindProcess[] = []
      let serve: { process: OvermindProcess, baseUrl: string, metricsUrl: string, ref: ContainerRef } | undefined

      const environment = (ref: ContainerRef): Record<string, string> => {
        const containerRoot = join(root, ref.container.name)
        const mountPaths = mountVolumes(ref, containerRoot, SECRETS)
        const port = Number(new URL(double!.url).port)
        return kubeletEnvironment(objects, ref, image, { root: containerRoot, mountPaths, secrets: SECRETS, services: { couchdb: { host: '127.0.0.1', port } } })
      }
      const probeUrl = (kind: 'startup' | 'readiness' | 'liveness'): string => {
        const container = serve!.ref.container
        return `${serve!.baseUrl}${probePath(container, container[`${kind}Probe`], kind)}`
      }
      const probeTimeoutMs = (kind: 'startup' | 'readiness' | 'liveness'): number => 1000 * (serve!.ref.container[`${kind}Probe`]?.timeoutSeconds ?? 1)

      before(async () => {
        objects = renderOverlay(overlay)
        pod = containers(podTemplate(objects, 'Deployment', 'overmind'))
        // The couchdb StatefulSet's admin (COUCHDB_USER, and COUCHDB_PASSWORD from the Secret) and
        // node count, as a fresh CouchDB 3 image starts: admin set, no system databases yet.
        const couchdb = containers(podTemplate(objects, 'StatefulSet', 'couchdb')).find(({ init }) => !init)!
        const couchEnv = containerEnvironment(objects, couchdb)
        const user = couchEnv.get('COUCHDB_USER')
        const password = couchEnv.get('COUCHDB_PASSWORD')
        assert.ok(user?.from === 'value' && password?.from === 'secret', 'the CouchDB admin comes from COUCHDB_USER and a Secret key')
        nodes = (getObject(objects, 'StatefulSet', 'couchdb').spec as { replicas: number }).replicas
        const adminPassword = SECRETS[password.secret]?.[password.key] ?? assert.fail(`no Secret value for ${password.key}`)
        admin = `Basic ${Buffer.from(`${user.value}:${adminPassword}`).toString('base64')}`
        double = await startCouchDouble({
          version: '3.4.3',
          admins: { [user.value]: adminPassword },
          systemDatabases: false,
          nodes
        })
        root = mkdtempSync(join(tmpdir(), `overmind-pod-replay-${overlay}-`))
      })

      after(async () => {
        for (const process of started) await process.kill('SIGKILL')
        await double?.close()
        if (root !== '') rmSync(root, { recursive: true, force: true })
      })

      test('when the init containers run in order with the manifest\'s environment, then each exits 0 and CouchDB is set up for its node count', async () => {
        const inits = pod.filter(({ init }) => init)
        assert.ok(inits.length > 0)
        for (const ref of inits) {
          const process = runOvermind(overmindArgs(ref.container, image), environment(ref))
          started.push(process)
          const code = await exitWithin(process, INIT_LIMIT_MS)
          assert.equal(code, 0, `${ref.container.name} (${(ref.container.args ?? []).join(' ')}) exited ${String(code)}:\n${process.output()}`)
        }
        // A service works on unjoined nodes too, so only CouchDB shows a missing `cluster` step.
        if (nodes > 1) {
          const setup = await fetch(`${double!.url}/_cluster_setup`, { headers: { authorization: admin } })
          assert.deepEqual(await setup.json(), { state: 'cluster_finished' }, `the init containers finish the ${nodes}-node cluster`)
        }
      })

      test('when the main container starts, then its startup and readiness probes answer 200 and it answers the seed\'s curl session', async () => {
        const ref = pod.find(({ init }) => !init)!
        const env = environment(ref)
        // The app must listen where the probes look: the probes' container port, on all interfaces
        // (kubelet probes the pod IP).
        const listen = parseHttpAddr(env.OVERMIND_HTTP_ADDR ?? '0.0.0.0:8080')
        assert.deepEqual(listen, { host: '0.0.0.0', port: probePort(ref.container, ref.container.readinessProbe) })
        for (const kind of ['startup', 'liveness'] as const) assert.equal(probePort(ref.container, ref.container[`${kind}Probe`]), listen.port)
        // The only change to the manifest's environment: listen on free loopback ports (the API's,
        // and the metrics one where the manifest sets it), since this machine is not a pod with
        // its own network namespace.
        const port = await freePort()
        const metricsPort = env.OVERMIND_METRICS_ADDR === undefined ? undefined : await freePort()
        const metricsEnv: Record<string, string> = metricsPort === undefined ? {} : { OVERMIND_METRICS_ADDR: `127.0.0.1:${metricsPort}` }
        const process = runOvermind(overmindArgs(ref.container, image), { ...env, OVERMIND_HTTP_ADDR: `127.0.0.1:${port}`, ...metricsEnv })
        started.push(process)
        const baseUrl = `http://127.0.0.1:${port}`
        serve = { process, baseUrl, metricsUrl: metricsPort === undefined ? `${baseUrl}/metrics` : `http://127.0.0.1:${metricsPort}/metrics`, ref }
        // kubelet runs the startup probe until it succeeds, then the readiness probe.
        await untilOk(process, probeUrl('startup'), probeTimeoutMs('startup'))
        await untilOk(process, probeUrl('readiness'), probeTimeoutMs('readiness'))
        await replaySeedSession(serve.baseUrl)
      })

      test('when it runs, then its liveness and startup probes answer 200', async () => {
        assert.ok(serve !== undefined, 'the main container runs')
        for (const kind of ['liveness', 'startup'] as const) {
          assert.deepEqual(await probe(probeUrl(kind), probeTimeoutMs(kind)), { status: 200 }, `${kind} probe`)
        }
      })

      test('when Prometheus scrapes where the manifest serves /metrics, then it answers there, and the public port has /metrics only when no metrics address is set', async () => {
        assert.ok(serve !== undefined, 'the main container runs')
        const scrape = await curl(serve.metricsUrl)
        assert.equal(scrape.status, 200)
        assert.match(scrape.body, /^overmind_http_requests_total\{/m)
        const separate = serve.metricsUrl !== `${serve.baseUrl}/metrics`
        assert.equal((await curl(`${serve.baseUrl}/metrics`)).status, separate ? 404 : 200)
      })

      test('when SIGTERM comes while requests wait on a slow CouchDB, then readiness fails, the requests complete with 2xx and the process exits 0 within the grace period', async () => {
        assert.ok(serve !== undefined && double !== undefined, 'the main container runs')
        const { process, baseUrl, ref } = serve
        const spawned = JSON.parse((await curl(`${baseUrl}/zerglings/`, { method: 'POST' })).body).zergling as { id: string }
        double.setLatency(SLOW_COUCHDB_MS)
        const outputBefore = process.output().length
        // curl() keeps its connection alive (Node's global agent), as a proxy or an SDK client would.
        const settled = { done: false, at: 0 }
        const inFlight = Promise.all([
          curl(`${baseUrl}/zerglings/${spawned.id}`),
          curl(`${baseUrl}/zerglings/${spawned.id}`, { data: '"M"' })
        ]).finally(() => { settled.done = true; settled.at = Date.now() })
        // Both requests have reached the service (fastify logs each as it arrives) and wait on CouchDB.
        while ((process.output().slice(outputBefore).match(/incoming request/g) ?? []).length < 2) {
          assert.equal(settled.done, false, 'the requests finished before SIGTERM could be sent')
          await sleep(20)
        }
        const signalledAt = Date.now()
        process.child.kill('SIGTERM')

        // Readiness fails during the drain: a 503, or a refused connection once the listener closed.
        let drained: ProbeResult | undefined
        while (!settled.done) {
          const result = await probe(probeUrl('readiness'), 5000)
          if (!('status' in result && result.status === 200)) { drained = result; break }
          await sleep(50)
        }
        const [read, moved] = await inFlight.finally(() => double!.setLatency(0)) as [RawResponse, RawResponse]
        const code = await exitWithin(process, 30_000)
        const exitedAfterMs = Date.now() - signalledAt

        assert.ok(settled.at > signalledAt, 'the requests were still in flight at SIGTERM')
        assert.ok(drained !== undefined && !('status' in drained && drained.status === 200), 'readiness failed while the requests were in flight')
        assert.ok(!('status' in drained) || drained.status === 503, `a draining readiness answer is 503, not ${JSON.stringify(drained)}`)
        assert.equal(read.status, 200, read.body)
        assert.equal(JSON.parse(read.body).zergling.id, spawned.id)
        assert.equal(moved.status, 200, moved.body)
        assert.deepEqual(JSON.parse(moved.body).zergling.commandHistory, ['M'])
        assert.equal(code, 0, process.output())
        // The grace period counts from the preStop hook, which runs before SIGTERM.
        const boundMs = 1000 * ((ref.pod.spec.terminationGracePeriodSeconds ?? 30) - preStopSeconds(ref.container))
        assert.ok(exitedAfterMs < boundMs, `exited ${exitedAfterMs} ms after SIGTERM; the grace period leaves ${boundMs} ms`)
        console.log(`# ${overlay}: requests done ${settled.at - signalledAt} ms and exit 0 ${exitedAfterMs} ms after SIGTERM (bound ${boundMs} ms); readiness while draining: ${JSON.stringify(drained)}`)
      })
    })
  }
})
