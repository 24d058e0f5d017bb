// `overmind serve` as a child process, the way it ships (`node dist/cli/main.js serve`), on a
// free port of 127.0.0.1; "ready" is the first 200 from /readyz, timed from the spawn.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
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
  | { store: 'couchdb', database: string }

export async function startOvermind (ctx: BenchContext, name: string, storeEnv: StoreEnv): Promise<RunningOvermind> {
  const port = await freePort()
  const env: Record<string, string> = {
    // The runtime settings the image gives the service (Dockerfile ENV), so it is measured as shipped.
    NODE_OPTIONS: imageNodeOptions(),
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
  }
  const since = performance.now()
  const child = spawnNode({ name, args: [ctx.serviceMain, 'serve'], env, logFile: join(ctx.tmpDir, `${name}.log`) })
  const baseUrl = `http://127.0.0.1:${port}`
  const readyMs = await waitFor200(`${baseUrl}/readyz`, child, since)
  return { child, baseUrl, readyMs }
}

function imageNodeOptions (): string {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')
  return /NODE_OPTIONS=(\S+)/.exec(dockerfile)?.[1] ?? ''
}
