// `/_cluster_setup` (2.x and 3.x): the state machine bootstraps drive, and the system databases
// `enable_single_node` / `finish_cluster` create.
// https://docs.couchdb.org/en/stable/api/server/common.html#cluster-setup
import { CouchError, couchErrors } from './errors.js'
import { allowMethods, json, parseJsonObjectBody, requireServerAdmin, requireJsonContentType, type Ctx, type Reply } from './http-kit.js'
import { hashAdminPassword, isHashed } from './passwords.js'
import { isV3, type DoubleState } from './state.js'

export const SYSTEM_DATABASES = ['_users', '_replicator']

export function createSystemDatabases (state: DoubleState): boolean {
  let created = false
  for (const name of SYSTEM_DATABASES) {
    if (state.databases.get(name) === undefined) {
      state.databases.create(name)
      created = true
    }
  }
  return created
}

export function clusterSetup (ctx: Ctx): Reply {
  allowMethods(ctx, 'GET,POST')
  requireServerAdmin(ctx)
  const { state } = ctx
  if (ctx.method === 'GET') return json(200, { state: state.clusterState })
  requireJsonContentType(ctx)
  const body = parseJsonObjectBody(ctx)
  switch (body.action) {
    case 'enable_single_node':
      setAdmin(state, body)
      createSystemDatabases(state)
      state.clusterState = 'single_node_enabled'
      break
    case 'enable_cluster':
      setAdmin(state, body)
      state.clusterState = 'cluster_enabled'
      break
    case 'add_node': {
      if (typeof body.host !== 'string') throw couchErrors.badRequest('Missing host')
      const name = `couchdb@${body.host}`
      if (!state.nodes.includes(name)) state.nodes = [...state.nodes, name]
      break
    }
    case 'finish_cluster':
      if (state.clusterState === 'cluster_finished') throw new CouchError(400, 'bad_request', 'Cluster is already finished')
      createSystemDatabases(state)
      state.clusterState = 'cluster_finished'
      break
    default:
      // sic: CouchDB's own message has the stray quote.
      throw couchErrors.badRequest("Invalid Action'")
  }
  ctx.markWrite()
  return json(201, { ok: true })
}

/** The setup actions (re)set the named admin, as CouchDB's setup does. */
function setAdmin (state: DoubleState, body: Record<string, unknown>): void {
  const { username, password } = body
  if (typeof username !== 'string' || typeof password !== 'string') {
    if ((state.config.get('admins')?.size ?? 0) > 0) return
    throw couchErrors.badRequest('Cluster setup requires admin account to be configured')
  }
  const admins = state.config.get('admins') ?? new Map<string, string>()
  admins.set(username, isHashed(password) ? password : hashAdminPassword(password, isV3(state) ? 'sha256' : 'sha1'))
  state.config.set('admins', admins)
}
