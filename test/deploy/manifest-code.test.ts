// Manifests against the code: the environment every overmind container gets is one the code reads
// and parses (loadConfig itself, with the Secret files written to a temp dir), the init containers
// run real `overmind` subcommands with real bootstrap steps, the service signs in as the user they
// create, and the CouchDB side (admin, cluster size, node names) matches what bootstrap expects.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONFIG_VARIABLES, loadConfig, type Config } from '../../src/config.js'
import { STEP_NAMES } from '../../src/bootstrap/steps.js'
import {
  containerEnvironment, containers, getObject, kubectlMissing, OVERLAYS, podTemplate, REPO_ROOT, renderOverlay, serviceLinkVariables,
  type ContainerRef, type EnvSource, type K8sObject, type Overlay
} from './manifests.js'

const KNOWN = new Set(CONFIG_VARIABLES.map((variable) => variable.name))
// Service links give COUCHDB_SERVICE_HOST/PORT on purpose (the seed's discovery); no other
// injected name may be one the code reads.
const INTENDED_LINKS = new Set(['COUCHDB_SERVICE_HOST', 'COUCHDB_SERVICE_PORT'])

/** `overmind --help`'s command list, from the sources (the CLI the image runs). */
function subcommands (): string[] {
  const help = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--help'], { cwd: REPO_ROOT, encoding: 'utf8' })
  assert.equal(help.status, 0, help.stderr)
  const list = help.stdout.split('commands:')[1] ?? ''
  return [...list.matchAll(/^ {2}(\S+)/gm)].map((match) => match[1]!)
}

/** The Secret key a file path reads, through the container's volume mounts and the pod's volumes. */
function secretKeyOfFile (ref: ContainerRef, path: string): { secret: string, key: string } {
  for (const mount of ref.container.volumeMounts ?? []) {
    if (!path.startsWith(`${mount.mountPath}/`)) continue
    const volume = (ref.pod.spec.volumes ?? []).find((candidate) => candidate.name === mount.name)
    const item = volume?.secret?.items?.find((candidate) => candidate.path === path.slice(mount.mountPath.length + 1))
    if (volume?.secret !== undefined && item !== undefined) return { secret: volume.secret.secretName ?? '', key: item.key }
  }
  throw new Error(`${ref.container.name}: ${path} is not a file of a mounted Secret`)
}

interface Parsed { ref: ContainerRef, env: Map<string, EnvSource>, config: Config, secretKeys: Map<string, string> }

let secretDir = ''

/**
 * loadConfig over the container's environment as kubelet builds it. Each Secret value becomes the
 * text `secret:<key>` in a temp file, so the test can tell which key ended up as which password.
 */
function parse (objects: K8sObject[], ref: ContainerRef): Parsed {
  const env = containerEnvironment(objects, ref)
  const plain: Record<string, string> = {}
  const secretKeys = new Map<string, string>()
  for (const [name, source] of env) {
    if (source.from === 'secret') throw new Error(`${ref.container.name}: ${name} carries a Secret in env; overmind containers read *_FILE`)
    if (source.from === 'field') throw new Error(`${ref.container.name}: ${name} comes from a field, which loadConfig cannot be given here`)
    plain[name] = source.value
    if (name.endsWith('_FILE')) {
      const { key } = secretKeyOfFile(ref, source.value)
      const file = join(secretDir, `${ref.container.name}-${name}`)
      writeFileSync(file, `secret:${key}\n`)
      plain[name] = file
      secretKeys.set(name, key)
    }
  }
  return { ref, env, config: loadConfig(plain), secretKeys }
}

function overmindPod (overlay: Overlay): Parsed[] {
  const objects = renderOverlay(overlay)
  return containers(podTemplate(objects, 'Deployment', 'overmind')).map((ref) => parse(objects, ref))
}

function steps (ref: ContainerRef): string[] {
  return (ref.container.args ?? []).slice(1)
}

const missing = kubectlMissing()

describe('manifests and code', { skip: missing }, () => {
  before(() => { secretDir = mkdtempSync(join(tmpdir(), 'overmind-manifest-secrets-')) })
  after(() => { rmSync(secretDir, { recursive: true, force: true }) })

  test('when Kubernetes injects Service links then none of them is a variable the code reads, except the couchdb host and port', () => {
    for (const overlay of OVERLAYS) {
      const injected = [...serviceLinkVariables(renderOverlay(overlay)).keys()]
      assert.deepEqual(injected.filter((name) => KNOWN.has(name) && !INTENDED_LINKS.has(name)), [], overlay)
      for (const name of INTENDED_LINKS) assert.ok(injected.includes(name), `${overlay} injects ${name}`)
    }
  })

  for (const overlay of OVERLAYS) {
    test(`when deploy/overlays/${overlay} sets an overmind container's environment then every variable is one src/config.ts reads`, () => {
      for (const { ref, env } of overmindPod(overlay)) {
        const set = [...env].filter(([, source]) => source.from !== 'serviceLink').map(([name]) => name)
        assert.ok(set.length > 0)
        assert.deepEqual(set.filter((name) => !KNOWN.has(name)), [], `${ref.container.name} sets variables the code never reads`)
      }
    })

    test(`when deploy/overlays/${overlay}'s overmind containers parse their environment then each uses the couchdb Service with a user and password, on one database`, () => {
      const parsed = overmindPod(overlay)
      for (const { ref, config } of parsed) {
        assert.equal(config.store.kind, 'couchdb', `${ref.container.name} uses CouchDB, not the embedded store`)
        if (config.store.kind !== 'couchdb') continue
        assert.equal(config.store.couch.url, 'http://couchdb.cluster-ip:5984')
        assert.ok(config.store.couch.username !== undefined && config.store.couch.password !== undefined, `${ref.container.name} signs in`)
      }
      const databases = new Set(parsed.map(({ config }) => config.store.kind === 'couchdb' ? config.store.couch.database : ''))
      assert.deepEqual([...databases], ['zerglings'])
    })

    test(`when deploy/overlays/${overlay}'s init containers run then each is overmind bootstrap with real steps, listed in the order they run, waiting first`, () => {
      const known = subcommands()
      const pod = overmindPod(overlay)
      for (const { ref } of pod) {
        assert.equal(ref.container.command, undefined, `${ref.container.name} keeps the image entrypoint (overmind)`)
        assert.ok(known.includes(ref.container.args?.[0] ?? ''), `${ref.container.name} runs a subcommand overmind --help lists`)
      }
      const inits = pod.filter(({ ref }) => ref.init)
      assert.deepEqual(inits.map(({ ref }) => ref.container.name), ['init-overmind-create-user', 'init-overmind-create-database'])
      for (const { ref } of inits) {
        assert.equal(ref.container.args?.[0], 'bootstrap')
        const named = steps(ref)
        assert.ok(named.length > 0, 'no step named would mean every step')
        for (const step of named) assert.ok((STEP_NAMES as readonly string[]).includes(step), `${step} is a bootstrap step`)
        const order = named.map((step) => STEP_NAMES.indexOf(step as typeof STEP_NAMES[number]))
        assert.deepEqual(order, [...order].sort((a, b) => a - b), `${ref.container.name} lists its steps in the order bootstrap runs them`)
      }
      assert.equal(steps(inits[0]!.ref)[0], 'wait')
      assert.equal(pod.find(({ ref }) => !ref.init)?.ref.container.args?.[0], 'serve')
    })

    test(`when deploy/overlays/${overlay}'s service container signs in then it is the app user the init containers create, with the same password key`, () => {
      const pod = overmindPod(overlay)
      const creator = pod.find(({ ref }) => steps(ref).includes('app-user'))
      assert.ok(creator !== undefined, 'an init container runs the app-user step')
      assert.ok(creator.config.bootstrap.appUsername !== undefined && creator.config.bootstrap.appPassword !== undefined)
      const service = pod.find(({ ref }) => !ref.init)!
      assert.ok(service.config.store.kind === 'couchdb')
      assert.equal(service.config.store.couch.username, creator.config.bootstrap.appUsername)
      assert.equal(service.config.store.couch.password, creator.config.bootstrap.appPassword)
      assert.notEqual(service.config.store.couch.username, creator.config.store.kind === 'couchdb' ? creator.config.store.couch.username : '', 'the service is not the admin')
    })

    test(`when deploy/overlays/${overlay}'s init containers sign in as admin then it is the admin the CouchDB image creates, from the same Secret key`, () => {
      const objects = renderOverlay(overlay)
      const couchdb = containers(podTemplate(objects, 'StatefulSet', 'couchdb')).find(({ init }) => !init)!
      const couchEnv = containerEnvironment(objects, couchdb)
      const user = couchEnv.get('COUCHDB_USER')
      const password = couchEnv.get('COUCHDB_PASSWORD')
      assert.ok(user?.from === 'value' && password?.from === 'secret')
      for (const { ref, config, secretKeys } of overmindPod(overlay).filter(({ ref }) => ref.init)) {
        assert.ok(config.store.kind === 'couchdb')
        assert.equal(config.store.couch.username, user.value, ref.container.name)
        assert.equal(secretKeys.get('COUCHDB_PASSWORD_FILE'), password.key, ref.container.name)
      }
    })

    test(`when deploy/overlays/${overlay} runs N CouchDB nodes then bootstrap joins exactly N, before any database is made`, () => {
      const replicas = (getObject(renderOverlay(overlay), 'StatefulSet', 'couchdb').spec as { replicas: number }).replicas
      const pod = overmindPod(overlay).filter(({ ref }) => ref.init)
      const runsCluster = pod.filter(({ ref }) => steps(ref).includes('cluster'))
      if (replicas === 1) {
        assert.deepEqual(runsCluster, [], 'a single node needs no cluster step')
        return
      }
      assert.equal(runsCluster.length, 1)
      assert.equal(runsCluster[0]!.config.bootstrap.nodes, replicas)
      // bootstrap runs the steps of one invocation in its fixed order, cluster last; databases made
      // before the nodes join would keep their shards on the first node only, so cluster runs in an
      // earlier init container than database.
      const clusterAt = pod.indexOf(runsCluster[0]!)
      const databaseAt = pod.findIndex(({ ref }) => steps(ref).includes('database'))
      assert.ok(clusterAt < databaseAt, 'cluster runs in an init container before the one that makes the database')
    })
  }

  test('when the production CouchDB nodes start then their names, the seedlist and the headless Service agree, and they share the cookie and secret', () => {
    const objects = renderOverlay('production')
    const statefulSet = getObject(objects, 'StatefulSet', 'couchdb')
    const { replicas, serviceName } = statefulSet.spec as { replicas: number, serviceName: string }
    const headless = getObject(objects, 'Service', serviceName).spec as { clusterIP?: string, publishNotReadyAddresses?: boolean }
    assert.equal(headless.clusterIP, 'None')
    assert.equal(headless.publishNotReadyAddresses, true)
    const couchdb = containers(podTemplate(objects, 'StatefulSet', 'couchdb')).find(({ init }) => !init)!
    const env = containerEnvironment(objects, couchdb)
    assert.deepEqual(env.get('POD_NAME'), { from: 'field', path: 'metadata.name' })
    assert.deepEqual(env.get('NODENAME'), { from: 'value', value: `$(POD_NAME).${serviceName}` })
    for (const [name, key] of [['COUCHDB_ERLANG_COOKIE', 'erlang-cookie'], ['COUCHDB_SECRET', 'cookie-auth-secret']]) {
      assert.deepEqual(env.get(name!), { from: 'secret', secret: 'couchdb-password', key })
    }
    const mount = couchdb.container.volumeMounts?.find((candidate) => candidate.mountPath.startsWith('/opt/couchdb/etc/default.d/'))
    assert.ok(mount?.subPath !== undefined)
    const volume = couchdb.pod.spec.volumes?.find((candidate) => candidate.name === mount.name)
    const ini = ((getObject(objects, 'ConfigMap', volume?.configMap?.name ?? '').data ?? {}) as Record<string, string>)[mount.subPath]
    const seedlist = /^seedlist\s*=\s*(.+)$/m.exec(ini ?? '')?.[1]?.split(',').map((node) => node.trim())
    const nodes = Array.from({ length: replicas }, (_, ordinal) => `couchdb@${statefulSet.metadata.name}-${ordinal}.${serviceName}`)
    assert.deepEqual(seedlist, nodes)
  })

  test('when the production Ingress routes a request then it reaches the port the service container listens on, by the Service\'s name and port', () => {
    const objects = renderOverlay('production')
    const ingress = getObject(objects, 'Ingress', 'overmind').spec as { rules: Array<{ http: { paths: Array<{ path: string, pathType: string, backend: { service: { name: string, port: { name?: string, number?: number } } } }> } }> }
    const paths = ingress.rules.flatMap((rule) => rule.http.paths)
    assert.ok(paths.length > 0)
    const serving = overmindPod('production').find(({ ref }) => !ref.init)!
    for (const { path, pathType, backend } of paths) {
      // Every route of the API, the change stream included, starts with / (src/http/routes).
      assert.deepEqual({ path, pathType }, { path: '/', pathType: 'Prefix' }, 'every path of the API reaches the service')
      const service = getObject(objects, 'Service', backend.service.name).spec as { selector: Record<string, string>, ports: Array<{ name?: string, port: number, targetPort?: string | number }> }
      assert.ok(Object.entries(service.selector).every(([key, value]) => serving.ref.pod.labels[key] === value), `Service ${backend.service.name} selects the overmind pods`)
      const port = service.ports.find((candidate) => candidate.name === backend.service.port.name || candidate.port === backend.service.port.number)
      assert.ok(port !== undefined, `Service ${backend.service.name} has port ${backend.service.port.name ?? backend.service.port.number}`)
      const target = port.targetPort ?? port.port
      const containerPort = serving.ref.container.ports?.find((candidate) => candidate.name === target || candidate.containerPort === target)?.containerPort
      assert.equal(containerPort, serving.config.http.port, 'the Ingress ends at the port loadConfig makes the service listen on (OVERMIND_HTTP_ADDR)')
    }
  })

  test('when the production backup CronJob runs then it is overmind backup into its volume, on the service\'s database as the service\'s user, reachable past the NetworkPolicy', () => {
    const objects = renderOverlay('production')
    const pod = podTemplate(objects, 'CronJob', 'overmind-backup')
    const [job] = containers(pod).map((ref) => parse(objects, ref))
    const service = overmindPod('production').find(({ ref }) => !ref.init)!
    assert.ok(job !== undefined)
    const args = job.ref.container.args ?? []
    assert.equal(args[0], 'backup')
    assert.ok(subcommands().includes('backup'))
    const directory = args[args.indexOf('--to-dir') + 1]
    const mount = job.ref.container.volumeMounts?.find((candidate) => candidate.mountPath === directory)
    const volume = pod.spec.volumes?.find((candidate) => candidate.name === mount?.name)
    assert.ok(volume?.persistentVolumeClaim !== undefined, '--to-dir is a mounted PersistentVolumeClaim')
    assert.ok(getObject(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName) !== undefined)
    assert.ok(Number(args[args.indexOf('--keep') + 1]) >= 1)
    assert.ok(job.config.store.kind === 'couchdb' && service.config.store.kind === 'couchdb')
    assert.deepEqual({ url: job.config.store.couch.url, database: job.config.store.couch.database, username: job.config.store.couch.username, password: job.config.store.couch.password },
      { url: service.config.store.couch.url, database: service.config.store.couch.database, username: service.config.store.couch.username, password: service.config.store.couch.password })
    assert.equal(pod.labels.app, 'overmind', 'the couchdb NetworkPolicy admits app: overmind pods')
    assert.notEqual(pod.labels.tier, service.ref.pod.labels.tier, 'not selected by the overmind Service')
    assert.ok(job.ref.container.volumeMounts?.some((candidate) => candidate.mountPath === '/tmp'), 'couchbackup writes a temporary directory')
  })

  test('when docs/kubernetes.md creates the Secret then it sets every key the overlays read', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs/kubernetes.md'), 'utf8')
    const keys = new Set<string>()
    for (const overlay of OVERLAYS) {
      const objects = renderOverlay(overlay)
      for (const pod of ['Deployment/overmind', 'StatefulSet/couchdb']) {
        const [kind, name] = pod.split('/') as [string, string]
        const template = podTemplate(objects, kind, name)
        for (const volume of template.spec.volumes ?? []) for (const item of volume.secret?.items ?? []) keys.add(item.key)
        for (const ref of containers(template)) {
          for (const source of containerEnvironment(objects, ref).values()) if (source.from === 'secret') keys.add(source.key)
        }
      }
    }
    assert.ok(keys.size >= 4)
    for (const key of keys) assert.match(docs, new RegExp(`--from-literal=${key}=`), `the docs create key ${key}`)
  })
})
