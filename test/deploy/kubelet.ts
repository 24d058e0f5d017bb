// A stand-in for kubelet, for the pod replay: what one container of a rendered pod template starts
// with (image ENV, Service links, envFrom, env, Secret values, mounted Secret files), the command it
// runs (ENTRYPOINT/CMD against command/args), and its HTTP probes. Anything these manifests do not
// use fails loudly instead of being ignored, so the replay cannot silently run a different pod.
// https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
// https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { IProbe } from 'kubernetes-models/v1/Probe'
import { envValues, parseDockerfile } from './dockerfile.js'
import { containerEnvironment, describe, REPO_ROOT, type ContainerRef, type K8sObject } from './manifests.js'

export interface ImageConfig { entrypoint: string[], cmd: string[], env: Record<string, string> }

/** ENTRYPOINT, CMD and ENV of the Dockerfile's last stage: the image the manifests name. */
export function runtimeImage (dockerfile = join(REPO_ROOT, 'Dockerfile')): ImageConfig {
  let image: ImageConfig = { entrypoint: [], cmd: [], env: {} }
  for (const { keyword, args } of parseDockerfile(readFileSync(dockerfile, 'utf8'))) {
    if (keyword === 'FROM') image = { entrypoint: [], cmd: [], env: {} }
    if (keyword === 'ENTRYPOINT') image.entrypoint = JSON.parse(args) as string[]
    if (keyword === 'CMD') image.cmd = JSON.parse(args) as string[]
    if (keyword === 'ENV') Object.assign(image.env, envValues(args))
  }
  return image
}

/**
 * The argv the container runs: `command` replaces ENTRYPOINT, `args` replaces CMD, and a `command`
 * without `args` drops CMD. Returns the arguments after the image's ENTRYPOINT, which is what the
 * CLI standing in for the image is given; a command that is not the entrypoint cannot be replayed.
 */
export function overmindArgs (container: IContainer, image: ImageConfig): string[] {
  const argv = [...(container.command ?? image.entrypoint), ...(container.args ?? (container.command === undefined ? image.cmd : []))]
  const prefix = argv.slice(0, image.entrypoint.length)
  if (JSON.stringify(prefix) !== JSON.stringify(image.entrypoint)) {
    throw new Error(`${container.name} runs ${JSON.stringify(argv)}, not the image's entrypoint ${JSON.stringify(image.entrypoint)}`)
  }
  const args = argv.slice(image.entrypoint.length)
  // kubelet expands $(VAR) in command/args; none of these containers uses it, so it is not modelled.
  for (const arg of args) if (arg.includes('$(')) throw new Error(`${container.name}: $(VAR) in args is not modelled`)
  return args
}

/** Secret name → key → value, as `kubectl create secret generic --from-literal` would hold them. */
export type Secrets = Record<string, Record<string, string>>

function secretValue (secrets: Secrets, name: string, key: string, where: string): string {
  const value = secrets[name]?.[key]
  // kubelet would not start the container (CreateContainerConfigError).
  if (value === undefined) throw new Error(`${where}: Secret ${name} has no key ${key}`)
  return value
}

/**
 * Mounts the container's volumes under `root` (root + mountPath): Secret volumes become one file
 * per item (item.path, or every key when items are absent) with the volume's mode, emptyDirs empty
 * directories. Returns the mount paths, so that the environment can point into them.
 */
export function mountVolumes (ref: ContainerRef, root: string, secrets: Secrets): string[] {
  const mounted: string[] = []
  for (const mount of ref.container.volumeMounts ?? []) {
    const volume = (ref.pod.spec.volumes ?? []).find((candidate) => candidate.name === mount.name)
    if (volume === undefined) throw new Error(`${describe(ref)}: mounts ${mount.name}, which the pod does not define`)
    if (mount.subPath !== undefined) throw new Error(`${describe(ref)}: subPath mounts are not modelled`)
    const dir = join(root, mount.mountPath)
    mkdirSync(dir, { recursive: true })
    if (volume.secret !== undefined) {
      const name = volume.secret.secretName ?? ''
      const items = volume.secret.items ?? Object.keys(secrets[name] ?? {}).map((key) => ({ key, path: key, mode: undefined }))
      for (const item of items) {
        const file = join(dir, item.path)
        mkdirSync(dirname(file), { recursive: true })
        writeFileSync(file, secretValue(secrets, name, item.key, describe(ref)), { mode: item.mode ?? volume.secret.defaultMode ?? 0o644 })
      }
    } else if (volume.emptyDir === undefined) {
      throw new Error(`${describe(ref)}: volume ${volume.name} is neither a Secret nor an emptyDir, which the replay does not model`)
    }
    mounted.push(mount.mountPath)
  }
  return mounted
}

export interface Sandbox {
  /** Where this container's filesystem paths live on this machine (its mounts are under it). */
  root: string
  mountPaths: string[]
  secrets: Secrets
  /** Service name → where the stand-in listens; replaces `<name>.cluster-ip` and the Service port. */
  services: Record<string, { host: string, port: number }>
}

/**
 * The container's environment as a plain record: the image's ENV, then what containerEnvironment
 * assembles as kubelet does (Service links, envFrom, env), with Secret values filled in, Service
 * links pointing at the stand-ins, and paths into mounted volumes (and every *_FILE) under root.
 */
export function kubeletEnvironment (objects: K8sObject[], ref: ContainerRef, image: ImageConfig, sandbox: Sandbox): Record<string, string> {
  const env: Record<string, string> = { ...image.env }
  for (const [name, source] of containerEnvironment(objects, ref)) {
    let value: string
    switch (source.from) {
      case 'secret':
        value = secretValue(sandbox.secrets, source.secret, source.key, describe(ref))
        break
      case 'field':
        throw new Error(`${describe(ref)}: ${name} comes from the field ${source.path}, which the replay does not model`)
      case 'serviceLink': {
        const standIn = sandbox.services[source.service]
        const ports = (objects.find((object) => object.kind === 'Service' && object.metadata.name === source.service)?.spec as { ports: Array<{ port: number }> }).ports
        value = standIn === undefined
          ? source.value
          : source.value.replaceAll(`${source.service}.cluster-ip`, standIn.host).replace(new RegExp(`\\b(${ports.map(({ port }) => port).join('|')})\\b`), String(standIn.port))
        break
      }
      default:
        value = source.value
    }
    if (value.includes('$(')) throw new Error(`${describe(ref)}: ${name} uses $(VAR) expansion, which the replay does not model`)
    const intoMount = sandbox.mountPaths.some((path) => value.startsWith(`${path}/`))
    env[name] = value.startsWith('/') && (intoMount || name.endsWith('_FILE')) ? join(sandbox.root, value) : value
  }
  return env
}

/** The container port a probe targets (`port` by name or number). */
export function probePort (container: IContainer, probe: IProbe | undefined): number {
  const port = probe?.httpGet?.port
  if (typeof port === 'number') return port
  const found = container.ports?.find((candidate) => candidate.name === port)
  if (found === undefined) throw new Error(`${container.name}: its probe targets port ${String(port)}, which it does not declare`)
  return found.containerPort
}

/** The probe's path, for an httpGet probe as these manifests write it (HTTP, pod IP, no headers). */
export function probePath (container: IContainer, probe: IProbe | undefined, kind: string): string {
  const get = probe?.httpGet
  if (get === undefined) throw new Error(`${container.name} has no httpGet ${kind} probe`)
  if ((get.scheme ?? 'HTTP') !== 'HTTP' || get.host !== undefined || (get.httpHeaders ?? []).length > 0) {
    throw new Error(`${container.name}: the ${kind} probe's scheme, host or headers are not modelled`)
  }
  return get.path ?? '/'
}

/** Seconds the preStop hook holds the pod before SIGTERM (`sleep N` by exec, or the sleep action). */
export function preStopSeconds (container: IContainer): number {
  const preStop = container.lifecycle?.preStop as { exec?: { command?: string[] }, sleep?: { seconds: number } } | undefined
  if (preStop === undefined) return 0
  if (preStop.sleep !== undefined) return preStop.sleep.seconds
  const [program, seconds, ...rest] = preStop.exec?.command ?? []
  if (program !== 'sleep' || seconds === undefined || rest.length > 0 || !/^\d+$/.test(seconds)) {
    throw new Error(`${container.name}: a preStop hook other than a sleep is not modelled`)
  }
  return Number(seconds)
}
