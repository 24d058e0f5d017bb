// A scripted CouchClient standing for N CouchDB 3.4 nodes behind a Kubernetes Service: each
// request reaches the next running node (round robin), config is per node, and
// `finish_cluster` behaves as setup.erl does (copy the receiving node's admins, uuid, secret;
// 500 on any failed copy; 400 once `_users` and `_replicator` exist). Only the calls bootstrap's
// `wait`, `admin`, `cluster` and `system-databases` steps make are known; anything else fails the test.
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import type { CouchClient, CouchResponse, RequestOptions } from '../../src/bootstrap/couch-client.js'
import { CouchUnreachable } from '../../src/bootstrap/couch-client.js'

export interface ScriptedNode {
  name: string
  /** `section/key` → value */
  config: Map<string, string>
  up: boolean
}

const LOCKOUT_THRESHOLD = 5

/** `-pbkdf2:sha256-…` with few rounds, so that tests stay fast; bootstrap checks any count. */
export function quickHash (password: string): string {
  const salt = randomBytes(16).toString('hex')
  return `-pbkdf2:sha256-${pbkdf2Sync(password, salt, 10, 32, 'sha256').toString('hex')},${salt},10`
}

function hashMatches (stored: string | undefined, password: string): boolean {
  const match = /^-pbkdf2:sha256-([0-9a-f]+),([0-9a-f]+),(\d+)$/.exec(stored ?? '')
  return match !== null && pbkdf2Sync(password, match[2]!, Number(match[3]), 32, 'sha256').toString('hex') === match[1]
}

const json = (status: number, body?: unknown): CouchResponse => ({ status, body })
const notFound = json(404, { error: 'not_found', reason: 'unknown_config_value' })

export function scriptedCluster (options: { nodes: number, admin: { name: string, password: string } }) {
  const nodes: ScriptedNode[] = Array.from({ length: options.nodes }, (_, i) => ({
    // Helm-style: each node hashed the admin password with its own salt; no uuid, no secret.
    name: `couchdb@couchdb-${i}.couchdb`,
    config: new Map([[`admins/${options.admin.name}`, quickHash(options.admin.password)]]),
    up: true
  }))
  const databases = new Set<string>()
  const failures = new Map<string, number>()
  let next = 0
  const cluster = {
    nodes,
    databases,
    calls: [] as string[],
    writes: 0,
    authFailures: 0,
    /** Replaces finish_cluster's answer once its copies are made (the databases are not created then). */
    finishAnswer: undefined as (() => CouchResponse) | undefined,
    value: (i: number, section: string, key: string) => nodes[i]!.config.get(`${section}/${key}`)
  }

  function receiving (): ScriptedNode {
    const running = nodes.filter((node) => node.up)
    if (running.length === 0) throw new CouchUnreachable('CouchDB at http://couchdb:5984 did not answer: ECONNREFUSED.')
    return running[next++ % running.length]!
  }

  /** Basic auth as CouchDB 3.4 does it, lockout included (one key per user and salt here). */
  function authenticate (node: ScriptedNode, auth: RequestOptions['auth']): CouchResponse | 'admin' | 'anonymous' {
    if (auth === 'anonymous') return 'anonymous'
    const stored = node.config.get(`admins/${auth.name}`)
    if (stored === undefined) return json(401, { error: 'unauthorized', reason: 'Name or password is incorrect.' })
    const key = `${auth.name} ${stored.split(',')[1] ?? ''}`
    if ((failures.get(key) ?? 0) >= LOCKOUT_THRESHOLD) {
      return json(403, { error: 'forbidden', reason: 'Account is temporarily locked due to multiple authentication failures' })
    }
    if (hashMatches(stored, auth.password)) return 'admin'
    failures.set(key, (failures.get(key) ?? 0) + 1)
    cluster.authFailures++
    return json(401, { error: 'unauthorized', reason: 'Name or password is incorrect.' })
  }

  function finish (node: ScriptedNode): CouchResponse {
    if (nodes.some((other) => !other.up)) return json(500, { error: 'setup_error', reason: 'Cluster setup timed out waiting for nodes to connect' })
    if (!node.config.has('couchdb/uuid')) node.config.set('couchdb/uuid', randomBytes(16).toString('hex'))
    const copies = [...node.config].filter(([key]) => key.startsWith('admins/') || key === 'couchdb/uuid')
    for (const other of nodes) for (const [key, value] of copies) if (other !== node) other.config.set(key, value)
    const secret = node.config.get('chttpd_auth/secret')
    if (secret === undefined) return json(500, { error: 'setup_error', reason: 'Cluster setup unable to sync admin passwords' })
    for (const other of nodes) other.config.set('chttpd_auth/secret', secret)
    if (cluster.finishAnswer !== undefined) return cluster.finishAnswer()
    if (databases.has('_users') && databases.has('_replicator')) return json(400, { error: 'bad_request', reason: 'Cluster is already finished' })
    databases.add('_users').add('_replicator')
    cluster.writes++
    return json(201, { ok: true })
  }

  function answer (node: ScriptedNode, method: string, path: string, body: unknown, admin: boolean): CouchResponse {
    if (path === '/') {
      // The uuid appears on first need, on the node that needed it (test/fixtures/couchdb-3.4/README.md, surprise 29).
      if (!node.config.has('couchdb/uuid')) node.config.set('couchdb/uuid', randomBytes(16).toString('hex'))
      return json(200, { couchdb: 'Welcome', version: '3.4.3' })
    }
    if (path === '/_up') return json(200, { status: 'ok' })
    if (path === '/_session') return json(200, { ok: true, userCtx: admin ? { name: options.admin.name, roles: ['_admin'] } : { name: null, roles: [] } })
    if (!admin) return json(401, { error: 'unauthorized', reason: 'You are not a server admin.' })
    if (path === '/_membership') {
      return json(200, { all_nodes: nodes.filter((n) => n.up).map((n) => n.name).sort(), cluster_nodes: nodes.map((n) => n.name).sort() })
    }
    const config = /^\/_node\/([^/]+)\/_config\/([^/]+)\/([^/]+)$/.exec(path)
    if (config !== null) {
      const target = nodes.find((candidate) => candidate.name === decodeURIComponent(config[1]!))
      if (target === undefined || !target.up) return json(412, { error: 'nodedown', reason: 'unknown node' })
      const key = `${decodeURIComponent(config[2]!)}/${decodeURIComponent(config[3]!)}`
      const old = target.config.get(key)
      if (method === 'GET') return old === undefined ? notFound : json(200, old)
      if (method !== 'PUT' || typeof body !== 'string') return json(400, { error: 'bad_request', reason: 'a JSON string expected' })
      target.config.set(key, body)
      cluster.writes++
      return json(200, old ?? '')
    }
    if (path === '/_cluster_setup' && method === 'POST') return finish(node)
    const database = /^\/(_users|_replicator)$/.exec(path)?.[1]
    if (database !== undefined && method === 'HEAD') return json(databases.has(database) ? 200 : 404)
    if (database !== undefined && method === 'PUT') {
      if (databases.has(database)) return json(412, { error: 'file_exists', reason: 'The database could not be created, the file already exists.' })
      databases.add(database)
      cluster.writes++
      return json(201, { ok: true })
    }
    throw new Error(`the scripted cluster does not know ${method} ${path}`)
  }

  const client: CouchClient = {
    url: 'http://couchdb:5984',
    async request (method, path, { auth, body }) {
      // Let racing runs interleave, as they would over the network.
      await new Promise((resolve) => setImmediate(resolve))
      const node = receiving()
      cluster.calls.push(`${method} ${path}${auth === 'anonymous' ? '' : ` as ${auth.name}`} → ${node.name}`)
      const who = authenticate(node, auth)
      if (typeof who === 'object') return who
      return answer(node, method, path, body, who === 'admin')
    }
  }
  return Object.assign(cluster, { client })
}
