// What an Ingress of the overlays must get right: it routes to a rendered Service's port, serves
// every host over TLS from a Secret the user makes (never one committed here), and for
// ingress-nginx turns off response buffering and the 60 s read timeout, which would hold back
// or cut the change stream (GET /zerglings/_changes, text/event-stream).
// https://kubernetes.io/docs/concepts/services-networking/ingress/#tls
import type { K8sObject } from './manifests.js'

type Rule = (objects: K8sObject[]) => string[]

interface IngressSpec {
  ingressClassName?: string
  tls?: Array<{ hosts?: string[], secretName?: string }>
  rules?: Array<{ host?: string, http?: { paths: Array<{ path?: string, pathType?: string, backend: { service?: { name: string, port: { name?: string, number?: number } } } }> } }>
}

/** A change-stream client watches for hours; nginx's default is 60 s. */
const MIN_STREAM_TIMEOUT_SECONDS = 3600

export const ingressRoutes: Rule = (objects) => objects.filter((object) => object.kind === 'Ingress').flatMap((ingress) => {
  const spec = ingress.spec as IngressSpec
  const name = `Ingress ${ingress.metadata.name}`
  const problems: string[] = []
  for (const rule of spec.rules ?? []) {
    for (const { backend } of rule.http?.paths ?? []) {
      const target = backend.service
      if (target === undefined) { problems.push(`${name} has a backend that is no Service`); continue }
      const service = objects.find((object) => object.kind === 'Service' && object.metadata.name === target.name)
      const ports = (service?.spec as { ports?: Array<{ name?: string, port: number }> } | undefined)?.ports ?? []
      if (service === undefined) problems.push(`${name} routes to Service ${target.name}, which is not rendered`)
      else if (!ports.some((port) => port.name === target.port.name || port.port === target.port.number)) problems.push(`${name} routes to port ${target.port.name ?? target.port.number} of Service ${target.name}, which it does not have`)
    }
    const covered = (spec.tls ?? []).some((tls) => tls.secretName !== undefined && (tls.hosts ?? []).includes(rule.host ?? ''))
    if (!covered) problems.push(`${name} serves ${rule.host ?? 'every host'} without a tls entry naming a Secret`)
  }
  for (const { secretName } of spec.tls ?? []) {
    if (objects.some((object) => object.kind === 'Secret' && object.metadata.name === secretName)) problems.push(`${name}'s TLS Secret ${secretName ?? ''} is committed; the user (or cert-manager) makes it`)
  }
  if (spec.ingressClassName === 'nginx') {
    const annotations = (ingress.metadata as { annotations?: Record<string, string> }).annotations ?? {}
    if (annotations['nginx.ingress.kubernetes.io/proxy-buffering'] !== 'off') problems.push(`${name} lets ingress-nginx buffer answers, which holds back the change stream`)
    for (const timeout of ['proxy-read-timeout', 'proxy-send-timeout']) {
      if (!(Number(annotations[`nginx.ingress.kubernetes.io/${timeout}`]) >= MIN_STREAM_TIMEOUT_SECONDS)) problems.push(`${name} leaves nginx's ${timeout} under ${MIN_STREAM_TIMEOUT_SECONDS} s, which cuts a quiet change stream`)
    }
  }
  return problems
})
