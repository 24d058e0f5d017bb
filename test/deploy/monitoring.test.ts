// Metrics on Kubernetes: production serves /metrics on its own port behind a ClusterIP Service;
// the opt-in overlay production-monitored adds a ServiceMonitor and a PrometheusRule (Prometheus
// Operator CRDs, so the plain production overlay stays applicable to any API server). The chain
// ServiceMonitor → Service → pod port → OVERMIND_METRICS_ADDR is checked, and every metric and
// label the alerts name is one the service really exports.
// kubernetes-models has no monitoring.coreos.com models (that is @kubernetes-models/prometheus-operator,
// not installed here), so the CRDs' shape is checked by the few fields the operator requires.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../../src/config.js'
import { createMetrics } from '../../src/http/metrics.js'
import { startEmbeddedApp } from '../support/embedded-app.js'
import { containerEnvironment, containers, getObject, kubectlMissing, MONITORED_OVERLAY, podTemplates, renderOverlay, selects, type K8sObject } from './manifests.js'

interface ServicePort { name?: string, port: number, targetPort?: string | number }
interface ServiceSpec { selector?: Record<string, string>, ports: ServicePort[], type?: string }
interface MonitorSpec { selector: { matchLabels?: Record<string, string> }, endpoints: Array<{ port?: string, path?: string, interval?: string }> }
interface RuleSpec { groups: Array<{ name: string, rules: Array<{ alert?: string, record?: string, expr: string, for?: string, labels?: Record<string, string> }> }> }

// Prometheus durations, as the operator's CRD schema pattern has them.
const DURATION = /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/

/** Where the ServiceMonitor's endpoints lead: problems on the way, or none. */
function scrapeChainProblems (objects: K8sObject[]): string[] {
  const problems: string[] = []
  const monitor = getObject(objects, 'ServiceMonitor', 'overmind').spec as MonitorSpec
  const services = objects.filter((object) => object.kind === 'Service' && selects(monitor.selector, object.metadata.labels ?? {}))
  if (services.length !== 1) return [`the ServiceMonitor selects ${services.length} Services, not one`]
  const service = services[0]!
  const spec = service.spec as ServiceSpec
  if (spec.type !== undefined && spec.type !== 'ClusterIP') problems.push(`Service ${service.metadata.name} is ${spec.type}: the metrics port would be reachable from outside`)
  for (const endpoint of monitor.endpoints) {
    if (endpoint.path !== undefined && endpoint.path !== '/metrics') problems.push(`the ServiceMonitor scrapes ${endpoint.path}, where overmind serves nothing`)
    if (endpoint.interval !== undefined && !DURATION.test(endpoint.interval)) problems.push(`interval ${endpoint.interval} is not a Prometheus duration`)
    const port = spec.ports.find((candidate) => candidate.name === endpoint.port)
    if (port === undefined) { problems.push(`Service ${service.metadata.name} has no port named ${String(endpoint.port)}`); continue }
    const pods = podTemplates(objects).filter((pod) => selects({ matchLabels: spec.selector }, pod.labels))
    if (pods.length === 0) problems.push(`Service ${service.metadata.name} selects no pods`)
    for (const pod of pods) {
      for (const ref of containers(pod).filter(({ init }) => !init)) {
        const containerPort = (ref.container.ports ?? []).find((candidate) => candidate.name === port.targetPort || candidate.containerPort === port.targetPort)
        if (containerPort === undefined) { problems.push(`${ref.container.name} declares no port ${String(port.targetPort)}`); continue }
        // The port the process binds, as loadConfig reads the container's environment.
        const env = Object.fromEntries([...containerEnvironment(objects, ref)].flatMap(([name, source]) => 'value' in source ? [[name, source.value]] : []))
        const bound = loadConfig({ OVERMIND_METRICS_ADDR: env.OVERMIND_METRICS_ADDR }).access.metricsAddr
        if (bound?.port !== containerPort.containerPort) problems.push(`${ref.container.name} serves /metrics on ${bound === undefined ? 'its public port' : `port ${bound.port}`}, not on ${containerPort.containerPort}`)
      }
    }
  }
  return problems
}

/** Metric names and label matchers in the rules that the service's registry does not have. */
async function unknownSeries (rules: RuleSpec, labelsOf: Map<string, string[]>): Promise<string[]> {
  const problems: string[] = []
  for (const rule of rules.groups.flatMap((group) => group.rules)) {
    for (const [, name, matchers = ''] of rule.expr.matchAll(/\b(overmind_[a-z_]+)(?:\{([^}]*)\})?/g)) {
      const labels = labelsOf.get(name!)
      if (labels === undefined) { problems.push(`${rule.alert ?? rule.record ?? '?'} uses ${name!}, which overmind does not export`); continue }
      for (const [, label] of matchers.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) {
        if (!labels.includes(label!)) problems.push(`${rule.alert ?? '?'} matches ${name!} on label ${label!}, which it does not have`)
      }
    }
  }
  return problems
}

function ruleShapeProblems (rules: RuleSpec): string[] {
  const problems: string[] = []
  for (const group of rules.groups) {
    for (const rule of group.rules) {
      if (typeof rule.alert !== 'string' || typeof rule.expr !== 'string' || rule.expr.trim() === '') problems.push(`a rule of ${group.name} has no alert name or expression`)
      if (rule.for !== undefined && !DURATION.test(rule.for)) problems.push(`${rule.alert ?? '?'}: for ${rule.for} is not a Prometheus duration`)
      if (!['critical', 'warning'].includes(rule.labels?.severity ?? '')) problems.push(`${rule.alert ?? '?'} has no severity`)
    }
  }
  return problems
}

const missing = kubectlMissing()
if (missing !== undefined) console.log(`# skipping the monitoring manifest checks: ${missing}`)

describe('metrics on Kubernetes', { skip: missing }, () => {
  const registry = (async () => {
    // The registry as a running app has it: the HTTP metrics are registered by the app's plugin.
    const metrics = createMetrics()
    const app = await startEmbeddedApp(undefined, { metrics })
    return { app, labelsOf: new Map((await metrics.registry.getMetricsAsJSON()).map((metric) => [metric.name, (metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames: string[] }).labelNames])) }
  })()
  after(async () => { await (await registry).app.close() })

  test('when production is rendered then it has no Prometheus Operator object (it applies without the CRDs), and production-monitored is production plus a ServiceMonitor and a PrometheusRule', () => {
    const production = renderOverlay('production')
    assert.deepEqual(production.filter((object) => object.apiVersion.startsWith('monitoring.coreos.com/')), [])
    const monitored = renderOverlay(MONITORED_OVERLAY)
    const added = monitored.filter((object) => !production.some((other) => JSON.stringify(other) === JSON.stringify(object)))
    assert.deepEqual(added.map((object) => `${object.apiVersion} ${object.kind}/${object.metadata.name}`), ['monitoring.coreos.com/v1 PrometheusRule/overmind', 'monitoring.coreos.com/v1 ServiceMonitor/overmind'])
    assert.equal(monitored.length, production.length + 2)
  })

  test('when the public Service is rendered then it does not reach the metrics port, and the ServiceMonitor leads to the port the process serves /metrics on', () => {
    const objects = renderOverlay(MONITORED_OVERLAY)
    assert.deepEqual((getObject(objects, 'Service', 'overmind').spec as ServiceSpec).ports.map((port) => port.targetPort), ['http'])
    assert.deepEqual(scrapeChainProblems(objects), [])
  })

  test('when the alerts are read then each is well formed and names only metrics and labels overmind exports', async () => {
    const rules = getObject(renderOverlay(MONITORED_OVERLAY), 'PrometheusRule', 'overmind').spec as RuleSpec
    assert.deepEqual(rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert)), ['OvermindBrainUnavailable', 'OvermindConflictRetriesHigh', 'OvermindHighErrorRate'])
    assert.deepEqual(ruleShapeProblems(rules), [])
    assert.deepEqual(await unknownSeries(rules, (await registry).labelsOf), [])
  })

  test('when a copy breaks the chain or an alert then the checks above report it', async () => {
    const objects = renderOverlay(MONITORED_OVERLAY)
    const broken = (change: (copy: K8sObject[]) => void): K8sObject[] => { const copy = structuredClone(objects); change(copy); return copy }
    const container = (copy: K8sObject[]): { env?: Array<{ name: string, value?: string }> } => podTemplates(copy).find((pod) => pod.owner.kind === 'Deployment')!.spec.containers[0]! as never
    assert.match(scrapeChainProblems(broken((copy) => { container(copy).env = container(copy).env!.filter((variable) => variable.name !== 'OVERMIND_METRICS_ADDR') })).join(), /serves \/metrics on its public port/)
    assert.match(scrapeChainProblems(broken((copy) => { (getObject(copy, 'ServiceMonitor', 'overmind').spec as MonitorSpec).endpoints[0]!.port = 'http' })).join(), /no port named http/)
    assert.match(scrapeChainProblems(broken((copy) => { (getObject(copy, 'Service', 'overmind-metrics').spec as ServiceSpec).type = 'NodePort' })).join(), /reachable from outside/)
    const rules = structuredClone(getObject(objects, 'PrometheusRule', 'overmind').spec as RuleSpec)
    rules.groups[0]!.rules[0]!.expr = 'rate(overmind_http_requests_total{code="503"}[5m]) > 0 or overmind_brain_up == 0'
    rules.groups[0]!.rules[1]!.for = 'ten minutes'
    assert.deepEqual(await unknownSeries(rules, (await registry).labelsOf), [
      'OvermindBrainUnavailable matches overmind_http_requests_total on label code, which it does not have',
      'OvermindBrainUnavailable uses overmind_brain_up, which overmind does not export'
    ])
    assert.match(ruleShapeProblems(rules).join(), /for ten minutes is not a Prometheus duration/)
  })
})
