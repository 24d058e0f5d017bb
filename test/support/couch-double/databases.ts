// Database endpoints: create, info, delete, HEAD, _security, and who may touch a database.
// https://docs.couchdb.org/en/stable/api/database/common.html
// https://docs.couchdb.org/en/stable/api/database/security.html
import { isLegalDatabaseName, type Database } from './database-registry.js'
import { couchErrors } from './errors.js'
import { allowMethods, isAdmin, json, parseJsonObjectBody, requireServerAdmin, type Ctx, type Reply, type UserCtx } from './http-kit.js'
import { isV3, type DoubleState } from './state.js'

/** Opaque update sequences shaped like CouchDB 2+'s `N-g1AAAA…` (1.x used plain integers). */
export function seqString (state: DoubleState, n: number): string | number {
  if (state.version.startsWith('1.')) return n
  return `${n}-g1AAAA${Buffer.from(`couch-double-seq-${n}`).toString('base64url')}`
}

interface Security { admins?: { names?: string[], roles?: string[] }, members?: { names?: string[], roles?: string[] } }

function securityOf (state: DoubleState, db: Database): Security {
  if (db.security !== undefined) return db.security as Security
  // 3.x: new databases are admin-only until _security names members; 1.x/2.x: public.
  return isV3(state) ? { members: { roles: ['_admin'] }, admins: { roles: ['_admin'] } } : {}
}

const listed = (user: UserCtx, group?: { names?: string[], roles?: string[] }): boolean =>
  (user.name !== null && (group?.names ?? []).includes(user.name)) || user.roles.some((role) => (group?.roles ?? []).includes(role))

export function isDbAdmin (state: DoubleState, db: Database, user: UserCtx): boolean {
  return isAdmin(user) || listed(user, securityOf(state, db).admins)
}

/** Members or db admins may read and write; with no members at all the database is public. */
export function requireMember (ctx: Ctx, db: Database): void {
  const security = securityOf(ctx.state, db)
  if (isDbAdmin(ctx.state, db, ctx.user)) return
  const members = security.members ?? {}
  if ((members.names ?? []).length === 0 && (members.roles ?? []).length === 0) return
  if (listed(ctx.user, members)) return
  throw couchErrors.notMember(ctx.user.name === null)
}

export function requireDbAdmin (ctx: Ctx, db: Database): void {
  if (!isDbAdmin(ctx.state, db, ctx.user)) throw couchErrors.notDbAdmin(ctx.user.name === null)
}

/** The database named by the first path segment, or 404 "Database does not exist.". */
export function existingDatabase (ctx: Ctx): Database {
  const db = ctx.state.databases.get(ctx.parts[0])
  if (db === undefined) throw couchErrors.dbMissing()
  return db
}

export const locationOf = (ctx: Ctx, path: string): string => `http://${ctx.req.headers.host ?? '127.0.0.1'}${path}`

// PUT/GET/HEAD/DELETE /{db}; POST /{db} is a document route.
export async function databaseRoute (ctx: Ctx): Promise<Reply> {
  const [name] = ctx.parts
  if (ctx.method === 'PUT' || ctx.method === 'DELETE') {
    requireServerAdmin(ctx)
    if (!isLegalDatabaseName(name)) throw couchErrors.illegalDbName(name)
    if (ctx.method === 'DELETE') {
      if (!await ctx.state.databases.remove(name)) throw couchErrors.dbMissing()
      ctx.markWrite()
      return json(200, { ok: true })
    }
    if (ctx.state.databases.get(name) !== undefined) throw couchErrors.fileExists()
    ctx.state.databases.create(name)
    ctx.markWrite()
    return json(201, { ok: true }, { location: locationOf(ctx, '/' + encodeURIComponent(name)) })
  }
  allowMethods(ctx, 'DELETE,GET,HEAD,POST,PUT')
  if (!isLegalDatabaseName(name) && ctx.state.version.startsWith('1.')) throw couchErrors.illegalDbName(name)
  const db = existingDatabase(ctx)
  requireMember(ctx, db)
  return json(200, await databaseInfo(ctx.state, db))
}

export async function databaseInfo (state: DoubleState, db: Database): Promise<Record<string, unknown>> {
  const info = await db.pouch.info()
  const changes = await db.pouch.changes({ since: 0 })
  const deleted = changes.results.filter((change) => change.deleted === true).length
  const common = {
    db_name: db.name,
    doc_del_count: deleted,
    doc_count: info.doc_count,
    update_seq: seqString(state, Number(info.update_seq)),
    purge_seq: seqString(state, 0),
    compact_running: false,
    instance_start_time: String(Math.floor(db.createdAt / 1000)),
  }
  if (state.version.startsWith('1.')) {
    return { ...common, committed_update_seq: info.update_seq, disk_size: 8192, data_size: 0, disk_format_version: 6 }
  }
  return {
    instance_start_time: common.instance_start_time,
    db_name: db.name,
    purge_seq: common.purge_seq,
    update_seq: common.update_seq,
    sizes: { file: 16700, external: 0, active: 0 },
    props: {},
    doc_del_count: deleted,
    doc_count: info.doc_count,
    disk_format_version: 8,
    compact_running: false,
    cluster: { q: 2, n: 1, w: 1, r: 1 },
  }
}

// GET/PUT /{db}/_security
export function securityRoute (ctx: Ctx, db: Database): Reply {
  allowMethods(ctx, 'GET,PUT')
  if (ctx.method === 'GET') {
    requireMember(ctx, db)
    return json(200, securityOf(ctx.state, db))
  }
  requireDbAdmin(ctx, db)
  db.security = parseJsonObjectBody(ctx)
  ctx.markWrite()
  return json(200, { ok: true })
}
