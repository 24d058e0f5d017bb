// Deployment policy over a rendered overlay. Each rule returns the problems it finds as sentences,
// so a test can show both that the manifests pass and that a broken copy does not.
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { IProbe } from 'kubernetes-models/v1/Probe'
import { CONFIG_VARIABLES } from '../../src/config.js'
import { ingressRoutes } from './ingress-policy.js'
import {
  allContainers, containerEnvironment, describe, isOvermindContainer, parseImage, podTemplates, RUN_TO_COMPLETION, selects,
  type ContainerRef, type K8sObject
} from './manifests.js'

export type Rule = (objects: K8sObject[]) => string[]

/** Images are pinned: a version tag or a digest, never `latest` or nothing. */
export const pinnedImages: Rule = (objects) => allContainers(objects).flatMap((ref) => {
  const image = parseImage(ref.container.image ?? '')
  if (image.digest !== undefined) return []
  if (image.tag === undefined) return [`${describe(ref)} runs ${ref.container.image ?? 'no image'} without a tag`]
  if (image.tag === 'latest' || !/\d/.test(image.tag)) return [`${describe(ref)} runs ${ref.container.image ?? ''}, which is not a version`]
  return []
})

/** Every long-running container has readiness and liveness probes on a port it declares. */
export const probes: Rule = (objects) => allContainers(objects).filter((ref) => !ref.init && !RUN_TO_COMPLETION.has(ref.pod.owner.kind)).flatMap((ref) => {
  const problems: string[] = []
  const { readinessProbe, livenessProbe, startupProbe } = ref.container
  if (readinessProbe === undefined) problems.push(`${describe(ref)} has no readiness probe`)
  if (livenessProbe === undefined) problems.push(`${describe(ref)} has no liveness probe`)
  for (const probe of [readinessProbe, livenessProbe, startupProbe]) {
    const port = probePort(probe)
    if (port !== undefined && !declaresPort(ref.container, port)) problems.push(`${describe(ref)} probes port ${port}, which it does not declare`)
  }
  return problems
})

/** Every container, init containers too, requests CPU and memory and is limited in memory. */
export const resources: Rule = (objects) => allContainers(objects).flatMap((ref) => {
  const { requests = {}, limits = {} } = ref.container.resources ?? {}
  const missing = [requests.cpu === undefined && 'requests.cpu', requests.memory === undefined && 'requests.memory',
    limits.memory === undefined && 'limits.memory'].filter((field): field is string => field !== false)
  return missing.length === 0 ? [] : [`${describe(ref)} has no ${missing.join(', ')}`]
})

/** overmind containers: non-root, read-only root filesystem, no privilege escalation, no capabilities. */
export const overmindSecurityContext: Rule = (objects) => allContainers(objects).filter((ref) => isOvermindContainer(ref.container)).flatMap((ref) => {
  const pod = ref.pod.spec.securityContext ?? {}
  const own = ref.container.securityContext ?? {}
  const problems: string[] = []
  if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push('runAsNonRoot is not true')
  const uid = own.runAsUser ?? pod.runAsUser
  if (uid === 0) problems.push('runAsUser is 0')
  if (own.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem is not true')
  if (own.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false')
  if (!(own.capabilities?.drop ?? []).includes('ALL')) problems.push('capabilities do not drop ALL')
  if ((own.capabilities?.add ?? []).length > 0) problems.push('capabilities are added')
  return problems.map((problem) => `${describe(ref)}: ${problem}`)
})

/**
 * The grace period covers the preStop pause plus the service's own shutdown bound
 * (OVERMIND_SHUTDOWN_TIMEOUT_MS as the container sets it, else the config default).
 */
export const gracePeriod: Rule = (objects) => allContainers(objects).filter((ref) => !ref.init && isOvermindContainer(ref.container)).flatMap((ref) => {
  const grace = ref.pod.spec.terminationGracePeriodSeconds ?? 30
  const needed = preStopSeconds(ref.container) + Math.ceil(shutdownTimeoutMs(objects, ref) / 1000)
  return grace >= needed ? [] : [`${describe(ref)}: terminationGracePeriodSeconds ${grace} is less than preStop + shutdown timeout (${needed} s)`]
})

/** Services, PodDisruptionBudgets and HPAs point at pods or workloads the rendering has. */
export const references: Rule = (objects) => {
  const pods = podTemplates(objects)
  const problems: string[] = []
  for (const object of objects) {
    const spec = object.spec as Record<string, never>
    const name = `${object.kind} ${object.metadata.name}`
    if (object.kind === 'Service') {
      const selector = spec.selector as Record<string, string> | undefined
      const targets = pods.filter((pod) => selector !== undefined && selects({ matchLabels: selector }, pod.labels))
      if (targets.length === 0) problems.push(`${name} selects no pods`)
      for (const port of spec.ports as Array<{ targetPort?: string | number, port: number }>) {
        const target = port.targetPort ?? port.port
        const served = targets.some((pod) => pod.spec.containers.some((container) => declaresPort(container, target)))
        if (!served) problems.push(`${name} sends port ${port.port} to ${target}, which none of its pods declare`)
      }
    }
    if (object.kind === 'PodDisruptionBudget' && !pods.some((pod) => selects(spec.selector, pod.labels))) problems.push(`${name} selects no pods`)
    if (object.kind === 'HorizontalPodAutoscaler') {
      const target = spec.scaleTargetRef as { kind: string, name: string }
      if (!objects.some((other) => other.kind === target.kind && other.metadata.name === target.name)) problems.push(`${name} scales ${target.kind} ${target.name}, which is not rendered`)
    }
  }
  return problems
}

/**
 * Rolling upgrades never lower capacity: one surge pod at a time, none unavailable, and a new pod
 * must stay ready for minReadySeconds before it counts.
 */
export const rollingUpdate: Rule = (objects) => objects.filter((object) => object.kind === 'Deployment').flatMap((deployment) => {
  const spec = deployment.spec as { minReadySeconds?: number, strategy?: { type?: string, rollingUpdate?: { maxSurge?: unknown, maxUnavailable?: unknown } } }
  const problems: string[] = []
  if (spec.strategy?.type !== 'RollingUpdate') problems.push('the strategy is not RollingUpdate')
  if (spec.strategy?.rollingUpdate?.maxUnavailable !== 0) problems.push('maxUnavailable is not 0')
  if (spec.strategy?.rollingUpdate?.maxSurge !== 1) problems.push('maxSurge is not 1')
  if ((spec.minReadySeconds ?? 0) <= 0) problems.push('minReadySeconds is not set')
  return problems.map((problem) => `Deployment ${deployment.metadata.name}: ${problem}`)
})

/** Settings that identify a CouchDB cluster's nodes to each other or to CouchDB itself. */
const CLUSTER_SECRETS = ['COUCHDB_ERLANG_COOKIE', 'COUCHDB_SECRET']

/**
 * Nothing secret or cluster-unique is committed or visible in process arguments: every user who
 * copies the overlay would otherwise deploy the same `couchdb/uuid` (or cookie secret), and an
 * Erlang cookie in `-setcookie` shows in every `ps`. Bootstrap makes the nodes agree on a uuid;
 * the cookie and the cookie-auth secret come from the Secret a user creates.
 */
export const noCommittedIdentity: Rule = (objects) => {
  const problems: string[] = []
  for (const ref of allContainers(objects)) {
    const { command = [], args = [], env = [] } = ref.container
    if ([...command, ...args, ...env.map((variable) => variable.value ?? '')].some((word) => word.includes('-setcookie'))) {
      problems.push(`${describe(ref)} passes the Erlang cookie with -setcookie, visible in process listings`)
    }
    for (const variable of env) {
      if (CLUSTER_SECRETS.includes(variable.name) && variable.valueFrom?.secretKeyRef === undefined) problems.push(`${describe(ref)} sets ${variable.name} without a Secret`)
    }
  }
  for (const object of objects.filter((candidate) => candidate.kind === 'ConfigMap')) {
    for (const [key, text] of Object.entries((object.data ?? {}) as Record<string, string>)) {
      if (/^\s*(uuid|secret)\s*=/m.test(text)) problems.push(`ConfigMap ${object.metadata.name} (${key}) commits a cluster's uuid or secret`)
    }
  }
  return problems
}

export const RULES: Record<string, Rule> = { pinnedImages, probes, resources, overmindSecurityContext, gracePeriod, references, rollingUpdate, noCommittedIdentity, ingressRoutes }

export function policyProblems (objects: K8sObject[]): string[] {
  return Object.values(RULES).flatMap((rule) => rule(objects))
}

function probePort (probe: IProbe | undefined): string | number | undefined {
  return probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port
}

function declaresPort (container: IContainer, port: string | number): boolean {
  return (container.ports ?? []).some((declared) => declared.name === port || declared.containerPort === port)
}

function preStopSeconds (container: IContainer): number {
  const preStop = container.lifecycle?.preStop
  if (preStop?.sleep !== undefined) return preStop.sleep.seconds
  const command = preStop?.exec?.command ?? []
  return command[0] === 'sleep' && command.length === 2 ? Number(command[1]) : 0
}

function shutdownTimeoutMs (objects: K8sObject[], ref: ContainerRef): number {
  const set = containerEnvironment(objects, ref).get('OVERMIND_SHUTDOWN_TIMEOUT_MS')
  if (set !== undefined && 'value' in set) return Number(set.value)
  const fallback = CONFIG_VARIABLES.find((variable) => variable.name === 'OVERMIND_SHUTDOWN_TIMEOUT_MS')?.default
  if (fallback === undefined) throw new Error('src/config.ts no longer lists OVERMIND_SHUTDOWN_TIMEOUT_MS with a default')
  return Number(fallback)
}
