// A CouchDB (the double with the sentinel password, or a real one from COUCHDB_TEST_URL) and a
// set of `overmind serve` replicas on one fresh database, as the seed runs them. Everything is
// stopped by close(), which every test file calls in `after`, also when a test failed; every
// line a replica printed is searched for the sentinel password before it is dropped.
import { startServe, type OvermindProcess } from '../../support/overmind-process.js'
import { startTestCouch, type TestCouch } from '../../support/test-couch.js'
import { scanForSecrets, SENTINEL_PASSWORD, SENTINEL_USER, watchInternalAddress, watchSecret } from './secrets.js'

export type Replica = OvermindProcess & { baseUrl: string }

export interface Cluster {
  couch: TestCouch
  database: string
  replicas: Replica[]
  /** Starts one more replica on the same database. */
  addReplica: (env?: Record<string, string>) => Promise<Replica>
  /** The environment every replica gets (for tests that start their own). */
  env: Record<string, string>
  close: () => Promise<void>
}

export interface ClusterOptions {
  replicas: number
  /** Extra environment for every replica (OVERMIND_COUCHDB_TIMEOUT_MS…). */
  env?: Record<string, string>
  databasePrefix: string
}

export async function startTestCouchWithSentinel (): Promise<TestCouch> {
  const couch = await startTestCouch({ admins: { [SENTINEL_USER]: SENTINEL_PASSWORD } })
  // A real CouchDB keeps its own password: that one is then the secret to look for.
  watchSecret(couch.username, couch.password)
  watchInternalAddress(couch.url)
  return couch
}

/** PUT /db, as `overmind bootstrap database` would (https://docs.couchdb.org/en/stable/api/database/common.html#put--db). */
export async function createDatabase (couch: TestCouch, name: string): Promise<void> {
  const authorization = 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64')
  const response = await fetch(`${couch.url}/${encodeURIComponent(name)}`, { method: 'PUT', headers: { authorization } })
  await response.arrayBuffer()
  if (response.status !== 201 && response.status !== 202) throw new Error(`creating the test database answered ${response.status}`)
}

export async function startCluster (options: ClusterOptions): Promise<Cluster> {
  const couch = await startTestCouchWithSentinel()
  const replicas: Replica[] = []
  const all: Replica[] = []
  const database = couch.uniqueDatabaseName(options.databasePrefix)
  const env = {
    COUCHDB_URL: couch.url,
    COUCHDB_USERNAME: couch.username,
    COUCHDB_PASSWORD: couch.password,
    OVERMIND_DATABASE: database,
    OVERMIND_LOG_LEVEL: 'info',
    ...options.env
  }
  const addReplica = async (extra: Record<string, string> = {}): Promise<Replica> => {
    const replica = await startServe({ ...env, ...extra })
    all.push(replica)
    return replica
  }
  const close = async (): Promise<void> => {
    await Promise.all(all.map(async (replica) => await replica.kill('SIGKILL')))
    all.forEach((replica, i) => {
      replica.output().split('\n').forEach((line, n) => scanForSecrets(`replica ${i} log line ${n + 1}`, line))
    })
    await couch.close()
  }
  try {
    await createDatabase(couch, database)
    // In parallel: each replica is a Node process that takes a second or two to start.
    const started = await Promise.allSettled(Array.from({ length: options.replicas }, async () => await addReplica()))
    for (const result of started) {
      if (result.status === 'rejected') throw result.reason
      replicas.push(result.value)
    }
  } catch (error) {
    await close()
    throw error
  }
  return { couch, database, replicas, addReplica, env, close }
}
