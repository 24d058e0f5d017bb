// Replays the Dockerfile's steps on this machine, where there is no Docker engine: each stage is a
// directory standing in for its /app, COPY copies from the build context (or an earlier stage),
// RUN runs in that directory with the stage's ENV. Only the instructions our Dockerfile uses are
// understood; anything else fails, so the Dockerfile cannot drift away from what is tested.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'

export const IMAGE_ROOT = '/app'

export interface Instruction { keyword: string, args: string }

export interface Stage {
  name: string
  baseImage: string
  dir: string
  env: Record<string, string>
  user?: string
  /** LABEL values, build arguments expanded. */
  labels: Record<string, string>
  entrypoint: string[]
  cmd: string[]
}

/** Joins continuation lines and drops comments and the parser directive. */
export function parseDockerfile (text: string): Instruction[] {
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((line) => line.trim())
  return logical.filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const space = line.search(/\s/)
    return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() }
  })
}

/**
 * .dockerignore as we write it: top-level names (a directory covers everything under it), and `*`
 * within one name (`*.log`, `.env.*`), matched against the top-level name or the file's own name.
 */
/** An ENV instruction's variables: NAME=value or NAME="value with spaces" (no escapes inside quotes). */
export function envValues (args: string): Record<string, string> {
  return Object.fromEntries([...args.matchAll(/(\w+)=(?:"([^"]*)"|(\S+))/g)].map(([, name, quoted, bare]) => [name!, quoted ?? bare!]))
}

/** The variables the last stage (the runtime image) sets with ENV. */
export function runtimeEnv (dockerfile: string): Record<string, string> {
  const instructions = parseDockerfile(dockerfile)
  const lastFrom = instructions.findLastIndex(({ keyword }) => keyword === 'FROM')
  return Object.assign({}, ...instructions.slice(lastFrom).filter(({ keyword }) => keyword === 'ENV').map(({ args }) => envValues(args)))
}

export function isIgnored (path: string, patterns: readonly string[]): boolean {
  const names = [path.split('/')[0] ?? '', basename(path)]
  return patterns.some((pattern) => {
    if (pattern.includes('/') || pattern.startsWith('!')) throw new Error(`.dockerignore pattern ${pattern} is not understood by the image test`)
    const glob = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`)
    return pattern.includes('*') ? names.some((name) => glob.test(name)) : names[0] === pattern
  })
}

export function readDockerignore (contextDir: string): string[] {
  return readFileSync(join(contextDir, '.dockerignore'), 'utf8').split(/\r?\n/).map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

export interface ReplayOptions {
  contextDir: string
  /** A fresh, empty directory; each stage gets a subdirectory named after it. */
  workDir: string
  /** Added to every RUN's environment (e.g. npm's offline preference); not part of the image. */
  runEnv?: Record<string, string>
  /** As `docker build --build-arg NAME=value`: overrides an ARG's default. */
  buildArgs?: Record<string, string>
}

/** `NAME="value"` or `NAME=value` pairs of a LABEL (dotted names), with `${ARG}` expanded. */
export function labelValues (args: string, buildArgs: ReadonlyMap<string, string> = new Map()): Record<string, string> {
  return Object.fromEntries([...args.matchAll(/([\w.-]+)=(?:"([^"]*)"|(\S+))/g)].map(([, name, quoted, bare]) =>
    [name!, (quoted ?? bare!).replace(/\$\{(\w+)\}/g, (_, arg: string) => buildArgs.get(arg) ?? '')]))
}

export function replayDockerfile (instructions: Instruction[], options: ReplayOptions): Stage[] {
  const args = new Map<string, string>()
  const ignored = readDockerignore(options.contextDir)
  const stages: Stage[] = []
  let stage: Stage | undefined
  const current = (): Stage => {
    if (stage === undefined) throw new Error('an instruction before FROM')
    return stage
  }
  for (const { keyword, args: text } of instructions) {
    switch (keyword) {
      case 'ARG': {
        const [name, value = ''] = text.split('=') as [string, string | undefined]
        args.set(name, options.buildArgs?.[name] ?? value)
        break
      }
      case 'FROM': {
        const match = /^(\S+)\s+AS\s+(\S+)$/i.exec(text)
        if (match === null) throw new Error(`FROM ${text}: every stage is named`)
        const baseImage = match[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? '')
        const dir = join(options.workDir, match[2]!)
        mkdirSync(dir, { recursive: true })
        stage = { name: match[2]!, baseImage, dir, env: {}, labels: {}, entrypoint: [], cmd: [] }
        stages.push(stage)
        break
      }
      case 'WORKDIR':
        if (text !== IMAGE_ROOT) throw new Error(`WORKDIR ${text}: the replay models ${IMAGE_ROOT} only`)
        break
      case 'ENV':
        Object.assign(current().env, envValues(text))
        break
      case 'COPY':
        copy(current(), text, stages, options.contextDir, ignored)
        break
      case 'RUN': {
        const command = text.replace(/^(--\S+\s+)+/, '')
        execFileSync('sh', ['-c', command], {
          cwd: current().dir,
          env: { ...process.env, ...options.runEnv, ...inStage(current(), current().env) },
          stdio: ['ignore', 'pipe', 'pipe']
        })
        break
      }
      case 'LABEL':
        Object.assign(current().labels, labelValues(text, args))
        break
      case 'USER':
        current().user = text
        break
      case 'EXPOSE':
        break
      case 'ENTRYPOINT':
        current().entrypoint = JSON.parse(text) as string[]
        break
      case 'CMD':
        current().cmd = JSON.parse(text) as string[]
        break
      default:
        throw new Error(`${keyword} is not modelled by the image test`)
    }
  }
  return stages
}

/** A path or value as the stage's directory sees it: /app/x becomes <stage dir>/x. */
export function inStage<T extends string | Record<string, string>> (stage: Stage, value: T): T {
  const map = (text: string): string => text.startsWith(IMAGE_ROOT) ? stage.dir + text.slice(IMAGE_ROOT.length) : text
  if (typeof value === 'string') return map(value) as T
  return Object.fromEntries(Object.entries(value).map(([key, text]) => [key, map(text)])) as T
}

function copy (stage: Stage, text: string, stages: Stage[], contextDir: string, ignored: string[]): void {
  const words = text.split(/\s+/)
  const from = words[0]?.startsWith('--from=') === true ? words.shift()!.slice('--from='.length) : undefined
  if (words.some((word) => word.startsWith('--'))) throw new Error(`COPY ${text}: only --from is modelled`)
  const destination = words.pop()!
  const target = destination.startsWith('/') ? inStage(stage, destination) : join(stage.dir, destination)
  for (const source of words) {
    let path: string
    if (from === undefined) {
      if (isIgnored(source, ignored)) throw new Error(`COPY ${source}: .dockerignore leaves it out of the build context`)
      path = join(contextDir, source)
    } else {
      const origin = stages.find((earlier) => earlier.name === from)
      if (origin === undefined) throw new Error(`COPY --from=${from}: no such stage`)
      path = inStage(origin, source)
    }
    const into = destination.endsWith('/') && !statSync(path).isDirectory() ? join(target, basename(source)) : target
    cpSync(path, into, { recursive: true, filter: (file) => from !== undefined || !isIgnored(file.slice(contextDir.length + 1), ignored) })
  }
}
