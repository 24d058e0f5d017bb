// `/_cluster_setup` (2.x and 3.x) on the receiving node. Its state is not stored: it is read from
// that node's config and the system databases, as src/setup/src/setup_httpd.erl does.
// https://docs.couchdb.org/en/stable/api/server/common.html#cluster-setup
import { isIP } from 'node:net'
import { couchErrors } from './errors.js'
import { finishCluster, hasSystemDatabases, setupFailure, SYSTEM_DATABASES } from './finish-cluster.js'
import { allowMethods, json, parseJsonObjectBody, requireServerAdmin, requireJsonContentType, type Ctx, type Reply } from './http-kit.js'
import { adminsOf, configValue, createNodes, setAdmin, setConfigValue, type NodeState } from './node-state.js'
import type { DoubleState } from './state.js'

export { SYSTEM_DATABASES }

export function createSystemDatabases (state: DoubleState): void {
  for (const name of SYSTEM_DATABASES) if (state.databases.get(name) === undefined) state.databases.create(name)
}

/** setup:is_cluster_enabled: a bind_address other than 127.0.0.1 and at least one admin. */
const isClusterEnabled = (node: NodeState): boolean =>
  configValue(node, 'chttpd', 'bind_address') !== '127.0.0.1' && adminsOf(node).size > 0

function setupState (state: DoubleState, node: NodeState): string {
  if (configValue(node, 'couchdb', 'single_node') === 'true') return 'single_node_enabled'
  const n = parseInt(configValue(node, 'cluster', 'n') ?? '3', 10)
  if (n === 1) return adminsOf(node).size > 0 && hasSystemDatabases(state) ? 'single_node_enabled' : 'single_node_disabled'
  if (!isClusterEnabled(node)) return 'cluster_disabled'
  return hasSystemDatabases(state) ? 'cluster_finished' : 'cluster_enabled'
}

export function clusterSetup (ctx: Ctx): Reply {
  allowMethods(ctx, 'GET,POST')
  requireServerAdmin(ctx)
  const { state, node } = ctx
  if (ctx.method === 'GET') return json(200, { state: setupState(state, node) })
  requireJsonContentType(ctx)
  const body = parseJsonObjectBody(ctx)
  switch (body.action) {
    case 'enable_single_node':
      setupNode(ctx, body, 1)
      createSystemDatabases(state)
      break
    case 'enable_cluster':
      if (isClusterEnabled(node)) throw couchErrors.badRequest('Cluster is already enabled')
      requireRemoteBindAddress(node, body.bind_address)
      if (body.node_count === undefined) throw setupFailure('error', 'Cluster setup requires node_count to be configured')
      setupNode(ctx, body, Math.min(Number(body.node_count), 3))
      break
    case 'add_node':
      addNode(ctx, body)
      break
    case 'finish_cluster':
      finishCluster(ctx)
      break
    default:
      // sic: CouchDB's own message has the stray quote.
      throw couchErrors.badRequest("Invalid Action'")
  }
  ctx.markWrite()
  return json(201, { ok: true })
}

function requireRemoteBindAddress (node: NodeState, requested: unknown): void {
  const local = requested === '127.0.0.1' || requested === '::1' ||
    (requested === undefined && ['127.0.0.1', '::1'].includes(configValue(node, 'chttpd', 'bind_address') ?? ''))
  if (local) throw setupFailure('error', 'Cluster setup requires a remote bind_address (not 127.0.0.1 nor ::1)')
  // sic: setup.erl throws the result of io:format (the atom ok) instead of its message.
  if (typeof requested === 'string' && isIP(requested) === 0) throw setupFailure('error', 'ok')
}

/** setup:setup_node: the admin (hashed before the answer), bind_address (default 0.0.0.0), cluster/n, port. */
function setupNode (ctx: Ctx, body: Record<string, unknown>, n: number): void {
  const { username } = body
  const password = body.password_hash ?? body.password
  if (typeof username === 'string' && typeof password === 'string') setAdmin(ctx.state, ctx.node, username, password, false)
  setConfigValue(ctx.node, 'chttpd', 'bind_address', typeof body.bind_address === 'string' ? body.bind_address : '0.0.0.0')
  setConfigValue(ctx.node, 'cluster', 'n', String(n))
  if (typeof body.port === 'number' || typeof body.port === 'string') setConfigValue(ctx.node, 'chttpd', 'port', String(body.port))
}

/**
 * CouchDB contacts the new node's own `/_cluster_setup`; the double cannot, so the node joins
 * `/_membership` with a fresh config holding the admin from the request, but no listener of its own.
 */
function addNode (ctx: Ctx, body: Record<string, unknown>): void {
  if (!isClusterEnabled(ctx.node)) throw couchErrors.badRequest('Cluster is not enabled.')
  if (typeof body.host !== 'string') throw couchErrors.badRequest('Missing host')
  const name = `${typeof body.name === 'string' ? body.name : 'couchdb'}@${body.host}`
  if (ctx.state.nodes.some((node) => node.name === name)) return
  const admins = typeof body.username === 'string' && typeof body.password === 'string' ? { [body.username]: body.password } : {}
  const [added] = createNodes({ version: ctx.state.version, names: [name], admins, cluster: 'fresh', systemDatabases: false })
  ctx.state.nodes = [...ctx.state.nodes, added]
}
