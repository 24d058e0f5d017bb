// Policy over the rendered overlays: pinned images, probes, resources, the overmind security
// context, a grace period that covers graceful shutdown, references that resolve, safe rolling
// upgrades, who may reach CouchDB, and what differs between dev and production.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { allContainers, findObject, getObject, isOvermindContainer, kubectlMissing, OVERLAYS, podTemplate, REPO_ROOT, renderOverlay, selects, type K8sObject } from './manifests.js'
import { RULES } from './policy.js'

interface IngressRule { from?: Array<{ podSelector?: { matchLabels?: Record<string, string> }, namespaceSelector?: unknown }>, ports?: Array<{ port?: number | string }> }

/** Whether a pod labelled `from` may open `port` on a pod labelled `to`, under the rendered NetworkPolicies. */
function admits (objects: K8sObject[], from: Record<string, string>, to: Record<string, string>, port: number): boolean {
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy')
    .map((object) => object.spec as { podSelector: { matchLabels?: Record<string, string> }, policyTypes?: string[], ingress?: IngressRule[] })
    .filter((spec) => selects(spec.podSelector, to) && (spec.policyTypes ?? ['Ingress']).includes('Ingress'))
  if (policies.length === 0) return true
  return policies.some((spec) => (spec.ingress ?? []).some((rule) =>
    (rule.from === undefined || rule.from.some((peer) => peer.namespaceSelector === undefined && selects(peer.podSelector, from))) &&
    (rule.ports === undefined || rule.ports.some((allowed) => allowed.port === undefined || allowed.port === port))))
}

function mutated (objects: K8sObject[], change: (copy: K8sObject[]) => void): K8sObject[] {
  const copy = structuredClone(objects)
  change(copy)
  return copy
}

const missing = kubectlMissing()

describe('deploy policy', { skip: missing }, () => {
  for (const overlay of OVERLAYS) {
    for (const [name, rule] of Object.entries(RULES)) {
      test(`when deploy/overlays/${overlay} is checked by the ${name} rule then it finds no problem`, () => {
        assert.deepEqual(rule(renderOverlay(overlay)), [])
      })
    }

    test(`when deploy/overlays/${overlay} runs then only overmind pods reach CouchDB's port and CouchDB nodes reach each other`, () => {
      const objects = renderOverlay(overlay)
      const overmind = podTemplate(objects, 'Deployment', 'overmind').labels
      const couchdb = podTemplate(objects, 'StatefulSet', 'couchdb').labels
      assert.equal(admits(objects, overmind, couchdb, 5984), true, 'overmind → couchdb:5984')
      for (const port of [5984, 4369, 9100]) assert.equal(admits(objects, couchdb, couchdb, port), true, `couchdb → couchdb:${port}`)
      assert.equal(admits(objects, overmind, couchdb, 9100), false, 'overmind → couchdb:9100')
      assert.equal(admits(objects, { app: 'curl' }, couchdb, 5984), false, 'any other pod → couchdb:5984')
      assert.equal(admits(objects, { app: 'overmind-imposter', tier: 'web' }, couchdb, 5984), false, 'a lookalike → couchdb:5984')
    })

    test(`when deploy/overlays/${overlay} runs then the overmind pods run as the non-root user the Dockerfile sets`, () => {
      const user = /^USER\s+(\d+)(?::(\d+))?\s*$/m.exec(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))
      assert.ok(user !== null, 'the Dockerfile sets USER to a numeric uid, so that runAsNonRoot can verify it')
      const pod = podTemplate(renderOverlay(overlay), 'Deployment', 'overmind').spec.securityContext
      assert.equal(String(pod?.runAsUser), user[1])
      assert.notEqual(user[1], '0')
    })
  }

  test('when a rule meets a broken copy of the dev rendering then it reports the problem', () => {
    const objects = renderOverlay('dev')
    const overmind = (copy: K8sObject[]): ReturnType<typeof allContainers>[number] =>
      allContainers(copy).find((ref) => !ref.init && isOvermindContainer(ref.container))!
    const cases: Array<[keyof typeof RULES, (copy: K8sObject[]) => void, RegExp]> = [
      ['pinnedImages', (copy) => { overmind(copy).container.image = 'overmind:latest' }, /overmind:latest, which is not a version/],
      ['pinnedImages', (copy) => { overmind(copy).container.image = 'docker.io:5000/overmind' }, /without a tag/],
      ['probes', (copy) => { delete overmind(copy).container.readinessProbe }, /has no readiness probe/],
      ['probes', (copy) => { overmind(copy).container.livenessProbe!.httpGet!.port = 9090 }, /probes port 9090/],
      ['resources', (copy) => { delete allContainers(copy)[0]!.container.resources!.limits }, /has no limits.memory/],
      ['overmindSecurityContext', (copy) => { overmind(copy).container.securityContext!.readOnlyRootFilesystem = false }, /readOnlyRootFilesystem/],
      ['overmindSecurityContext', (copy) => { delete overmind(copy).pod.spec.securityContext!.runAsNonRoot }, /runAsNonRoot/],
      ['gracePeriod', (copy) => { overmind(copy).pod.spec.terminationGracePeriodSeconds = 12 }, /less than preStop \+ shutdown timeout \(15 s\)/],
      ['gracePeriod', (copy) => { overmind(copy).container.env!.find((e) => e.name === 'OVERMIND_SHUTDOWN_TIMEOUT_MS')!.value = '60000' }, /\(65 s\)/],
      ['references', (copy) => { (getObject(copy, 'PodDisruptionBudget', 'overmind').spec as { selector: unknown }).selector = { matchLabels: { app: 'nobody' } } }, /PodDisruptionBudget overmind selects no pods/],
      ['references', (copy) => { (getObject(copy, 'Service', 'couchdb').spec as { ports: Array<{ targetPort: string }> }).ports[0]!.targetPort = 'https' }, /to https, which none of its pods declare/],
      ['rollingUpdate', (copy) => { (getObject(copy, 'Deployment', 'overmind').spec as { strategy: { rollingUpdate: { maxUnavailable: number } } }).strategy.rollingUpdate.maxUnavailable = 1 }, /maxUnavailable is not 0/]
    ]
    for (const [rule, change, expected] of cases) {
      assert.deepEqual(RULES[rule]!(objects), [], `${rule} passes on the original`)
      const problems = RULES[rule]!(mutated(objects, change))
      assert.ok(problems.some((problem) => expected.test(problem)), `${rule} reports ${String(expected)}; it said ${JSON.stringify(problems)}`)
    }
  })

  test('when a copy of the production rendering commits a cluster identity then the noCommittedIdentity rule reports it', () => {
    const objects = renderOverlay('production')
    const couchdb = (copy: K8sObject[]): ReturnType<typeof allContainers>[number] =>
      allContainers(copy).find((ref) => !ref.init && ref.container.name === 'couchdb')!
    const configMap = (copy: K8sObject[]): K8sObject => copy.find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('couchdb-cluster'))!
    const cases: Array<[(copy: K8sObject[]) => void, RegExp]> = [
      [(copy) => { couchdb(copy).container.env!.push({ name: 'ERL_FLAGS', value: '-setcookie $(COUCHDB_ERLANG_COOKIE)' }) }, /-setcookie/],
      [(copy) => { couchdb(copy).container.env!.find((variable) => variable.name === 'COUCHDB_SECRET')!.valueFrom = undefined }, /sets COUCHDB_SECRET without a Secret/],
      [(copy) => { const data = configMap(copy).data as Record<string, string>; data['90-overmind-cluster.ini'] += '\n[couchdb]\nuuid = 5b0c7a3e9f3d4c2e8a1f6d7b2c9e4a10\n' }, /commits a cluster's uuid/]
    ]
    assert.deepEqual(RULES.noCommittedIdentity!(objects), [])
    for (const [change, expected] of cases) {
      const problems = RULES.noCommittedIdentity!(mutated(objects, change))
      assert.ok(problems.some((problem) => expected.test(problem)), `reports ${String(expected)}; it said ${JSON.stringify(problems)}`)
    }
  })

  test('when a copy of the production rendering breaks its Ingress then the ingressRoutes rule reports it', () => {
    const objects = renderOverlay('production')
    type Spec = { tls: Array<{ hosts: string[] }>, rules: Array<{ host: string, http: { paths: Array<{ backend: { service: { name: string, port: { name?: string } } } }> } }> }
    const ingress = (copy: K8sObject[]): { spec: Spec, metadata: { annotations: Record<string, string> } } => getObject(copy, 'Ingress', 'overmind') as never
    const cases: Array<[(copy: K8sObject[]) => void, RegExp]> = [
      [(copy) => { ingress(copy).spec.rules[0]!.http.paths[0]!.backend.service.name = 'overmind-web' }, /routes to Service overmind-web, which is not rendered/],
      [(copy) => { ingress(copy).spec.rules[0]!.http.paths[0]!.backend.service.port = { name: 'https' } }, /routes to port https of Service overmind/],
      [(copy) => { ingress(copy).spec.tls[0]!.hosts = ['other.example.com'] }, /serves overmind.example.com without a tls entry/],
      [(copy) => { copy.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'overmind-tls' } }) }, /TLS Secret overmind-tls is committed/],
      [(copy) => { delete ingress(copy).metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering'] }, /buffer answers/],
      [(copy) => { ingress(copy).metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'] = '60' }, /proxy-read-timeout under 3600 s/]
    ]
    assert.deepEqual(RULES.ingressRoutes!(objects), [])
    for (const [change, expected] of cases) {
      const problems = RULES.ingressRoutes!(mutated(objects, change))
      assert.ok(problems.some((problem) => expected.test(problem)), `reports ${String(expected)}; it said ${JSON.stringify(problems)}`)
    }
  })

  test('when the overlays are rendered then production has the Ingress and dev, reached through the NodePort as in the seed, has none', () => {
    assert.equal(renderOverlay('dev').some((object) => object.kind === 'Ingress'), false)
    assert.equal(getObject(renderOverlay('production'), 'Service', 'overmind').kind, 'Service')
    assert.ok(findObject(renderOverlay('production'), 'Ingress', 'overmind') !== undefined)
  })

  test('when the dev overlay is applied then there is no HPA, so kubectl scale stays where it is put, and three overmind pods start', () => {
    const objects = renderOverlay('dev')
    assert.equal(objects.some((object) => object.kind === 'HorizontalPodAutoscaler'), false)
    assert.equal((getObject(objects, 'Deployment', 'overmind').spec as { replicas?: number }).replicas, 3)
    assert.equal((getObject(objects, 'StatefulSet', 'couchdb').spec as { replicas?: number }).replicas, 1)
  })

  test('when the production overlay is applied then the HPA owns the replica count and both workloads spread over hosts', () => {
    const objects = renderOverlay('production')
    const hpa = getObject(objects, 'HorizontalPodAutoscaler', 'overmind').spec as { minReplicas: number, maxReplicas: number, metrics: Array<{ resource?: { name: string } }> }
    assert.ok(hpa.minReplicas >= 3 && hpa.maxReplicas > hpa.minReplicas)
    assert.equal(hpa.metrics[0]?.resource?.name, 'cpu')
    assert.equal('replicas' in (getObject(objects, 'Deployment', 'overmind').spec as object), false, 'kubectl apply must not reset what the HPA chose')
    const overmind = podTemplate(objects, 'Deployment', 'overmind')
    const preferred = overmind.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
    assert.ok(preferred.some((term) => selects(term.podAffinityTerm.labelSelector as never, overmind.labels) && term.podAffinityTerm.topologyKey === 'kubernetes.io/hostname'))
    const couchdb = podTemplate(objects, 'StatefulSet', 'couchdb')
    const required = couchdb.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []
    assert.ok(required.some((term) => selects(term.labelSelector as never, couchdb.labels) && term.topologyKey === 'kubernetes.io/hostname'))
    assert.ok(objects.some((object) => object.kind === 'PodDisruptionBudget' && selects((object.spec as { selector: never }).selector, couchdb.labels)))
  })
})
