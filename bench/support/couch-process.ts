// The CouchDB every CouchDB scenario talks to: a real server from COUCHDB_BENCH_URL, or else the
// tests' CouchDB-protocol double in a process of its own (bench/baselines/couch-double-server.ts),
// with its CouchDB latency model on so that a round trip costs what it costs on a real server.
import { join } from 'node:path'
import { parseCouchUrl, type CouchServer } from './couch.js'
import { freePort, spawnNode, waitFor200 } from './processes.js'

const DOUBLE_PASSWORD = 'bench-double-admin'

/** `latencyModel: false` starts the double without it (to see what the model adds: bench/calibrate.ts). */
export async function startCouch (tmpDir: string, log: (message: string) => void, { latencyModel = true } = {}): Promise<CouchServer> {
  const raw = process.env.COUCHDB_BENCH_URL
  if (raw !== undefined && raw !== '') {
    const server = parseCouchUrl(raw, 'real')
    log(`CouchDB: ${server.url} (COUCHDB_BENCH_URL)`)
    return server
  }
  const port = await freePort()
  const child = spawnNode({
    name: 'couch-double',
    args: ['--import', 'tsx', 'bench/baselines/couch-double-server.ts', String(port)],
    env: { BENCH_COUCH_PASSWORD: DOUBLE_PASSWORD, ...(latencyModel ? {} : { BENCH_COUCH_LATENCY_MODEL: 'off' }) },
    logFile: join(tmpDir, 'couch-double.log')
  })
  const url = `http://127.0.0.1:${port}`
  await waitFor200(`${url}/`, child, performance.now())
  log(`CouchDB: the double${latencyModel ? ' with the CouchDB 3.4 latency model' : ''} at ${url}`)
  return { url, username: 'admin', password: DOUBLE_PASSWORD, kind: 'double' }
}
