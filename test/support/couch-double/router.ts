// Which handler answers which path, per CouchDB version.
// https://docs.couchdb.org/en/stable/api/index.html
import { clusterSetup } from './cluster-setup.js'
import { legacyConfigRoute, nodeRoute } from './config-routes.js'
import { changesRoute } from './changes.js'
import { databaseRoute, existingDatabase, requireDbAdmin, securityRoute } from './databases.js'
import { documentRoute, postDocument } from './documents.js'
import { couchErrors } from './errors.js'
import { allowMethods, isAdmin, json, type Ctx, type Reply } from './http-kit.js'
import { findRoute, indexRoute } from './mango.js'
import { allDocsRoute, bulkDocsRoute, bulkGetRoute } from './queries.js'
import { revsDiffRoute } from './revs-diff.js'
import { allDbs, membership, session, up, uuids, welcome } from './server-routes.js'
import { isV1 } from './state.js'
import { designInfoRoute, viewRoute } from './views.js'

const SYSTEM_DBS = new Set(['_users', '_replicator', '_global_changes'])

export async function route (ctx: Ctx): Promise<Reply> {
  const [first] = ctx.parts
  if (first === undefined) return welcome(ctx)
  if (first.startsWith('_') && !SYSTEM_DBS.has(first)) return await serverRoute(ctx, first)
  return await databaseSubRoute(ctx)
}

async function serverRoute (ctx: Ctx, first: string): Promise<Reply> {
  const v1 = isV1(ctx.state)
  switch (first) {
    case '_all_dbs': return allDbs(ctx)
    case '_uuids': return uuids(ctx)
    case '_session': return await session(ctx)
  }
  if (v1) {
    // CouchDB 1.x: anything else that starts with `_` is read as a (bad) database name.
    if (first === '_config') return legacyConfigRoute(ctx)
    throw couchErrors.illegalDbName(first)
  }
  if (first === '_up') return up(ctx)
  // 2.x/3.x: every other `_` path is for server admins (chttpd_auth_request).
  if (!isAdmin(ctx.user)) throw couchErrors.notServerAdmin()
  if ((ctx.method === 'PUT' || ctx.method === 'DELETE') && ctx.parts.length === 1 && !['_node', '_cluster_setup'].includes(first)) {
    return await databaseRoute(ctx) // 400 illegal_database_name
  }
  switch (first) {
    case '_membership': return membership(ctx)
    // https://docs.couchdb.org/en/stable/api/server/common.html#active-tasks: the double's views
    // are built within the query that needs them, so no task is ever seen running.
    case '_active_tasks':
      allowMethods(ctx, 'GET')
      return json(200, [])
    case '_node': return nodeRoute(ctx)
    case '_cluster_setup': return clusterSetup(ctx)
    default: throw couchErrors.dbMissing()
  }
}

async function databaseSubRoute (ctx: Ctx): Promise<Reply> {
  const [, sub, ...rest] = ctx.parts
  if (sub === undefined) return ctx.method === 'POST' ? await postDocument(ctx) : await databaseRoute(ctx)
  const db = existingDatabase(ctx)
  switch (sub) {
    case '_all_docs': return await allDocsRoute(ctx, db, false)
    case '_design_docs': return await allDocsRoute(ctx, db, true)
    case '_bulk_docs': return await bulkDocsRoute(ctx, db)
    case '_bulk_get': return await bulkGetRoute(ctx, db)
    case '_revs_diff': return await revsDiffRoute(ctx, db)
    case '_changes': return await changesRoute(ctx, db)
    case '_security': return securityRoute(ctx, db)
    case '_find': return await findRoute(ctx, db)
    case '_index': return await indexRoute(ctx, db)
    case '_compact': case '_view_cleanup':
      allowMethods(ctx, 'POST')
      requireDbAdmin(ctx, db)
      return json(202, { ok: true })
    case '_ensure_full_commit':
      allowMethods(ctx, 'POST')
      return json(201, { ok: true, instance_start_time: '0' })
  }
  if (sub === '_design' || sub === '_local') {
    if (rest[0] === undefined) throw couchErrors.docMissing()
    return await designOrDocument(ctx, `${sub}/${rest[0]}`, rest.slice(1))
  }
  return await designOrDocument(ctx, sub, rest)
}

async function designOrDocument (ctx: Ctx, id: string, rest: string[]): Promise<Reply> {
  if (id.startsWith('_design/') && rest.length > 0) {
    const db = existingDatabase(ctx)
    const name = id.slice('_design/'.length)
    if (rest[0] === '_view' && rest[1] !== undefined) return await viewRoute(ctx, db, name, rest[1])
    if (rest[0] === '_info') return await designInfoRoute(ctx, db, name)
  }
  return await documentRoute(ctx, id, rest)
}
