// Renders the kustomize overlays under deploy/ with `kubectl kustomize` and gives the deploy checks
// typed access to what came out: objects, pod templates, containers and their environment as
// Kubernetes would assemble it (envFrom ConfigMaps, Service links).
import { execFileSync, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec'
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const OVERLAYS = ['dev', 'production'] as const
export type Overlay = typeof OVERLAYS[number]
/** Production plus deploy/components/prometheus-operator (CRDs only some clusters have): checked on its own. */
export const MONITORED_OVERLAY = 'production-monitored'
export type Rendering = Overlay | typeof MONITORED_OVERLAY

export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name: string, labels?: Record<string, string> }
  [field: string]: unknown
}

export interface PodTemplate {
  owner: K8sObject
  labels: Record<string, string>
  spec: IPodSpec
}

/** Why the checks cannot run here, or undefined when `kubectl` is on the PATH. */
export function kubectlMissing (): string | undefined {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' })
  return probe.error === undefined && probe.status === 0 ? undefined : 'kubectl is not installed, so the overlays cannot be rendered'
}

const rendered = new Map<Rendering, K8sObject[]>()

/** `kubectl kustomize deploy/overlays/NAME`, parsed; cached, since every check reads the same output. */
export function renderOverlay (overlay: Rendering): K8sObject[] {
  const cached = rendered.get(overlay)
  if (cached !== undefined) return cached
  const text = execFileSync('kubectl', ['kustomize', `deploy/overlays/${overlay}`], { cwd: REPO_ROOT, encoding: 'utf8' })
  const objects = parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw document.errors[0]
    return document.toJS() as K8sObject
  })
  rendered.set(overlay, objects)
  return objects
}

export function findObject (objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name)
}

export function getObject (objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = findObject(objects, kind, name)
  if (found === undefined) throw new Error(`the rendering has no ${kind} ${name}`)
  return found
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'])
/** Pods that run to completion: no probes, and no traffic to take. */
export const RUN_TO_COMPLETION = new Set(['Job', 'CronJob'])

type Template = { metadata?: { labels?: Record<string, string> }, spec: IPodSpec }

export function podTemplates (objects: K8sObject[]): PodTemplate[] {
  return objects.filter((object) => WORKLOAD_KINDS.has(object.kind)).map((owner) => {
    const spec = owner.spec as { template?: Template, jobTemplate?: { spec: { template: Template } } }
    const template = spec.template ?? spec.jobTemplate!.spec.template
    return { owner, labels: template.metadata?.labels ?? {}, spec: template.spec }
  })
}

export function podTemplate (objects: K8sObject[], kind: string, name: string): PodTemplate {
  const found = podTemplates(objects).find((pod) => pod.owner.kind === kind && pod.owner.metadata.name === name)
  if (found === undefined) throw new Error(`the rendering has no ${kind} ${name}`)
  return found
}

export interface ContainerRef { pod: PodTemplate, container: IContainer, init: boolean }

export function containers (pod: PodTemplate): ContainerRef[] {
  return [
    ...(pod.spec.initContainers ?? []).map((container) => ({ pod, container, init: true })),
    ...pod.spec.containers.map((container) => ({ pod, container, init: false }))
  ]
}

export function allContainers (objects: K8sObject[]): ContainerRef[] {
  return podTemplates(objects).flatMap(containers)
}

export function describe (ref: ContainerRef): string {
  return `${ref.pod.owner.kind} ${ref.pod.owner.metadata.name}, ${ref.init ? 'init container' : 'container'} ${ref.container.name}`
}

/** Splits `name:tag@digest`; a registry port (`host:5000/name`) is not mistaken for a tag. */
export function parseImage (image: string): { name: string, tag?: string, digest?: string } {
  const [withoutDigest, digest] = image.split('@') as [string, string | undefined]
  const slash = withoutDigest.lastIndexOf('/')
  const colon = withoutDigest.lastIndexOf(':')
  if (colon > slash) return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest }
  return { name: withoutDigest, digest }
}

export function isOvermindContainer (container: IContainer): boolean {
  return parseImage(container.image ?? '').name.split('/').pop() === 'overmind'
}

/** Where one environment variable's value comes from once the pod runs. */
export type EnvSource =
  | { from: 'value', value: string }
  | { from: 'configMap', configMap: string, value: string }
  | { from: 'secret', secret: string, key: string }
  | { from: 'field', path: string }
  | { from: 'serviceLink', service: string, value: string }

/**
 * The environment a container starts with, assembled as kubelet does: Service links first (when
 * enableServiceLinks is not false), then envFrom ConfigMaps, then `env`, later ones winning.
 * https://kubernetes.io/docs/concepts/services-networking/service/#environment-variables
 */
export function containerEnvironment (objects: K8sObject[], ref: ContainerRef): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>()
  if (ref.pod.spec.enableServiceLinks !== false) {
    for (const [name, source] of serviceLinkVariables(objects)) env.set(name, source)
  }
  for (const from of ref.container.envFrom ?? []) {
    if (from.configMapRef !== undefined) {
      const map = getObject(objects, 'ConfigMap', from.configMapRef.name ?? '')
      for (const [key, value] of Object.entries((map.data ?? {}) as Record<string, string>)) {
        env.set(`${from.prefix ?? ''}${key}`, { from: 'configMap', configMap: map.metadata.name, value })
      }
    } else {
      throw new Error(`${describe(ref)}: envFrom other than a ConfigMap is not understood by these checks`)
    }
  }
  for (const variable of ref.container.env ?? []) env.set(variable.name, envSource(variable))
  return env
}

function envSource (variable: IEnvVar): EnvSource {
  const from = variable.valueFrom
  if (from?.secretKeyRef !== undefined) return { from: 'secret', secret: from.secretKeyRef.name ?? '', key: from.secretKeyRef.key }
  if (from?.fieldRef !== undefined) return { from: 'field', path: from.fieldRef.fieldPath }
  if (from !== undefined) throw new Error(`${variable.name}: this kind of valueFrom is not understood by these checks`)
  return { from: 'value', value: variable.value ?? '' }
}

/**
 * The variables kubelet injects for every Service with a cluster IP in the pod's namespace. Values
 * stand in for the cluster IP (`<name>.cluster-ip`); ports are the real ones.
 */
export function serviceLinkVariables (objects: K8sObject[]): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>()
  for (const service of objects.filter((object) => object.kind === 'Service')) {
    const spec = service.spec as { clusterIP?: string, ports?: Array<{ name?: string, port: number, protocol?: string }> }
    if (spec.clusterIP === 'None' || spec.ports === undefined || spec.ports.length === 0) continue
    const name = service.metadata.name
    const prefix = name.toUpperCase().replace(/-/g, '_')
    const host = `${name}.cluster-ip`
    const set = (variable: string, value: string): void => { env.set(variable, { from: 'serviceLink', service: name, value }) }
    const [first] = spec.ports as [{ name?: string, port: number, protocol?: string }]
    set(`${prefix}_SERVICE_HOST`, host)
    set(`${prefix}_SERVICE_PORT`, String(first.port))
    set(`${prefix}_PORT`, `${(first.protocol ?? 'TCP').toLowerCase()}://${host}:${first.port}`)
    for (const port of spec.ports) {
      const protocol = port.protocol ?? 'TCP'
      if (port.name !== undefined) set(`${prefix}_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`, String(port.port))
      const base = `${prefix}_PORT_${port.port}_${protocol}`
      set(base, `${protocol.toLowerCase()}://${host}:${port.port}`)
      set(`${base}_PROTO`, protocol.toLowerCase())
      set(`${base}_PORT`, String(port.port))
      set(`${base}_ADDR`, host)
    }
  }
  return env
}

/** `matchLabels` only (all these manifests use); a selector with expressions fails loudly. */
export function selects (selector: { matchLabels?: Record<string, string>, matchExpressions?: unknown[] } | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return false
  if ((selector.matchExpressions ?? []).length > 0) throw new Error('matchExpressions are not understood by these checks')
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value)
}
