// A CouchDB-protocol double for tests: a small CouchDB-compatible HTTP server on 127.0.0.1 whose
// document semantics come from PouchDB's memory adapter. See ./options.ts for the API.
import { createSystemDatabases } from './cluster-setup.js'
import { createDatabaseRegistry } from './database-registry.js'
import type { CouchDouble, CouchDoubleOptions } from './options.js'
import { hashAdminPassword } from './passwords.js'
import { createDoubleServer } from './server.js'
import { nodeNames, randomHex, type DoubleState } from './state.js'

export type { CouchDouble, CouchDoubleOptions, CouchVersion } from './options.js'

export async function startCouchDouble (options: CouchDoubleOptions = {}): Promise<CouchDouble> {
  const version = options.version ?? '3.4.3'
  const admins = options.admins ?? { admin: 'double-admin-password' }
  const v3 = version.startsWith('3.')
  if (v3 && Object.keys(admins).length === 0) {
    throw new Error('CouchDB 3 has no admin party: give the double at least one admin (options.admins)')
  }
  const systemDatabases = options.systemDatabases ?? true
  const nodes = Math.max(1, options.nodes ?? 1)
  const state: DoubleState = {
    version,
    config: new Map([
      ['admins', new Map(Object.entries(admins).map(([name, password]) => [name, hashAdminPassword(password, v3 ? 'sha256' : 'sha1')]))],
      ['chttpd', new Map([['bind_address', '127.0.0.1']])],
      ['couchdb', new Map(v3 && systemDatabases ? [['single_node', 'true']] : [])],
    ]),
    adminUsableAt: new Map(),
    adminActivationDelayMs: options.adminActivationDelayMs ?? 0,
    databases: createDatabaseRegistry(),
    uuid: randomHex(16),
    cookieSecret: randomHex(32),
    defaultMaxDocumentSize: options.maxDocumentSize ?? 8000000,
    nodes: nodeNames(nodes),
    clusterState: systemDatabases ? (nodes > 1 ? 'cluster_finished' : 'single_node_enabled') : 'cluster_disabled',
    uuidCounter: 0,
  }
  if (systemDatabases) createSystemDatabases(state)

  const double = {
    url: '',
    version,
    writes: 0,
    requests: [] as CouchDouble['requests'],
    resetCounters () {
      double.writes = 0
      double.requests = []
    },
    setLatency (ms: number) { server.latencyMs = ms },
    cutNextResponses (n: number) { server.cutNext = n },
    expireSessions () { state.cookieSecret = randomHex(32) },
    async stop () { await server.stop() },
    async start () { await server.listen(port) },
    async close () {
      await server.stop()
      await state.databases.destroyAll()
    },
  }
  // The server reports into `double`, whose counters the tests read and reset.
  const server = createDoubleServer(state, double, options.latencyMs ?? 0)
  const port = await server.listen(options.port ?? 0)
  double.url = `http://127.0.0.1:${port}`
  return double
}
