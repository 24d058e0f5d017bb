// A CouchDB-protocol double for tests: one small CouchDB-compatible HTTP server on 127.0.0.1 per
// node, each node with its own config, all sharing the databases (whose document semantics come
// from PouchDB's memory adapter). See ./options.ts for the API.
import { createSystemDatabases } from './cluster-setup.js'
import { createDatabaseRegistry } from './database-registry.js'
import { createLatencyQueue } from './latency-queue.js'
import { restartLockout } from './lockout.js'
import { authConfig, configValue, createNodes, setConfigValue } from './node-state.js'
import type { CouchDouble, CouchDoubleOptions } from './options.js'
import { createDoubleServer, type Counters, type Faults } from './server.js'
import { nodeNames, randomHex, type DoubleState } from './state.js'

export type { CouchDouble, CouchDoubleOptions, CouchVersion } from './options.js'
export { COUCHDB_3_4, type LatencyModel } from './latency-model.js'

export async function startCouchDouble (options: CouchDoubleOptions = {}): Promise<CouchDouble> {
  const version = options.version ?? '3.4.3'
  const admins = options.admins ?? { admin: 'double-admin-password' }
  if (version.startsWith('3.') && Object.keys(admins).length === 0) {
    throw new Error('CouchDB 3 has no admin party: give the double at least one admin (options.admins)')
  }
  const cluster = options.cluster ?? 'shared'
  const systemDatabases = options.systemDatabases ?? cluster === 'shared'
  const names = nodeNames(Math.max(1, options.nodes ?? 1))
  const state: DoubleState = {
    version,
    databases: createDatabaseRegistry(options.revsLimit),
    nodes: createNodes({ version, names, admins, cluster, systemDatabases }),
    adminActivationDelayMs: options.adminActivationDelayMs ?? 0,
    defaultMaxDocumentSize: options.maxDocumentSize ?? 8000000,
    uuidPrefix: randomHex(16),
    uuidCounter: 0,
  }
  if (systemDatabases) createSystemDatabases(state)
  const counters: Counters = { writes: 0, requests: [], authFailures: 0 }
  const faults: Faults = { latencyMs: options.latencyMs ?? 0, cutNext: 0 }
  if (options.latencyModel !== undefined) faults.latencyModel = createLatencyQueue(options.latencyModel)
  // The nodes with a listener of their own (add_node may list more in /_membership).
  const nodes = state.nodes.map((node) => ({ node, server: createDoubleServer(state, node, counters, faults), port: 0, listening: false }))
  const nodeAt = (i: number): typeof nodes[number] => {
    const found = nodes[i]
    if (found === undefined) throw new Error(`the double has ${nodes.length} node(s), no node ${i}`)
    return found
  }
  const startNode = async (i: number): Promise<void> => {
    const entry = nodeAt(i)
    if (entry.listening) return
    // A restart: the lockout table is memory, max_lifetime is read at start.
    restartLockout(entry.node)
    entry.port = await entry.server.listen(entry.port)
    entry.listening = true
    entry.node.up = true
  }
  const stopNode = async (i: number): Promise<void> => {
    const entry = nodeAt(i)
    entry.node.up = false
    entry.listening = false
    await entry.server.stop()
  }
  const each = async (action: (i: number) => Promise<void>): Promise<void> => { await Promise.all(nodes.map(async (_, i) => await action(i))) }

  nodeAt(0).port = options.port ?? 0
  await each(startNode)
  const double: CouchDouble = {
    url: `http://127.0.0.1:${nodeAt(0).port}`,
    urls: nodes.map((entry) => `http://127.0.0.1:${entry.port}`),
    nodeNames: nodes.map((entry) => entry.node.name),
    version,
    get writes () { return counters.writes },
    set writes (value) { counters.writes = value },
    get requests () { return counters.requests },
    set requests (value) { counters.requests = value },
    get authFailures () { return counters.authFailures },
    get deepestModelledQueue () { return faults.latencyModel?.deepest ?? 0 },
    resetCounters () {
      counters.writes = 0
      counters.requests = []
      counters.authFailures = 0
      faults.latencyModel?.resetDeepest()
    },
    setLatency (ms) { faults.latencyMs = ms },
    setLatencyModel (model) { faults.latencyModel = model === undefined ? undefined : createLatencyQueue(model) },
    cutNextResponses (n) { faults.cutNext = n },
    expireSessions () {
      // One new secret per distinct old one, so nodes that shared a secret still share it.
      const renamed = new Map<string, string>()
      for (const { node } of nodes) {
        const old = authConfig(node, 'secret')
        if (old === undefined) continue
        const secret = renamed.get(old) ?? randomHex(16)
        renamed.set(old, secret)
        const section = configValue(node, 'chttpd_auth', 'secret') === undefined ? 'couch_httpd_auth' : 'chttpd_auth'
        setConfigValue(node, section, 'secret', secret)
      }
    },
    stopNode,
    startNode,
    freeze (i) { for (const [index, entry] of nodes.entries()) if (i === undefined || i === index) entry.server.gate.freeze() },
    thaw (i) { for (const [index, entry] of nodes.entries()) if (i === undefined || i === index) entry.server.gate.thaw() },
    nodeConfig: (i, section, key) => configValue(nodeAt(i).node, section, key),
    async stop () { await each(stopNode) },
    async start () { await each(startNode) },
    async close () {
      for (const entry of nodes) entry.server.gate.drop()
      await each(stopNode)
      await state.databases.destroyAll()
    },
  }
  return double
}
