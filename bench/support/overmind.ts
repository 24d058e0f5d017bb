// `overmind serve` as a child process, the way it ships (`node dist/cli/main.js serve`), on a
// free port of 127.0.0.1; "ready" is the first 200 from /readyz, timed from the spawn.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchContext } from './context.js'
import { freePort, spawnNode, waitFor200, type Child } from './processes.js'

export interface RunningOvermind {
  child: Child
  baseUrl: string
  /** Milliseconds from spawning the process to the first `200` from /readyz. */
  readyMs: number
}

export type StoreEnv =
  | { store: 'embedded', dataDir: string, database?: string }
  /** `env`: more of the service's settings (e.g. OVERMIND_READS=memory). */
  | { store: 'couchdb', database: string, env?: Record<string, string> }

/** `nodeArgs`: flags for node itself that NODE_OPTIONS may not carry (`--cpu-prof`, bench/profile.ts). */
export async function startOvermind (ctx: BenchContext, name: string, storeEnv: StoreEnv, nodeArgs: string[] = []): Promise<RunningOvermind> {
  const port = await freePort()
  const env: Record<string, string> = {
    // The runtime settings the image gives the service (Dockerfile ENV), so it is measured as shipped.
    NODE_OPTIONS: ctx.nodeOptions,
    OVERMIND_HTTP_ADDR: `127.0.0.1:${port}`,
    OVERMIND_LOG_LEVEL: ctx.plan.logLevel,
    OVERMIND_DATABASE: storeEnv.database ?? 'zerglings'
  }
  if (storeEnv.store === 'embedded') {
    env.OVERMIND_DATA_DIR = storeEnv.dataDir
  } else {
    env.COUCHDB_URL = ctx.couch.url
    env.COUCHDB_USERNAME = ctx.couch.username
    env.COUCHDB_PASSWORD = ctx.couch.password
    Object.assign(env, storeEnv.env)
  }
  const since = performance.now()
  const child = spawnNode({ name, args: [...nodeArgs, ctx.serviceMain, 'serve'], env, logFile: join(ctx.tmpDir, `${name}.log`) })
  const baseUrl = `http://127.0.0.1:${port}`
  const readyMs = await waitFor200(`${baseUrl}/readyz`, child, since)
  return { child, baseUrl, readyMs }
}

/** The NODE_OPTIONS a Dockerfile's image sets (the working tree's, or a ref's: support/build.ts). */
export function imageNodeOptions (dockerfilePath = fileURLToPath(new URL('../../Dockerfile', import.meta.url))): string {
  const dockerfile = readFileSync(dockerfilePath, 'utf8')
  const match = /NODE_OPTIONS=(?:"([^"]*)"|(\S+))/.exec(dockerfile)
  return match?.[1] ?? match?.[2] ?? ''
}
