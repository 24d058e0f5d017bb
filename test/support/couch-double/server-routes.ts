// Server-level endpoints: welcome, /_up, /_all_dbs, /_uuids, /_session, /_membership.
// https://docs.couchdb.org/en/stable/api/server/common.html
import { createHash } from 'node:crypto'
import { checkPassword } from './auth.js'
import { clearedCookie, sessionCookie } from './cookies.js'
import { couchErrors, CouchError } from './errors.js'
import { allowMethods, json, parseJsonBody, positiveIntParam, requireServerAdmin, type Ctx, type Reply } from './http-kit.js'
import { ensureCookieSecret, serverUuid } from './node-state.js'
import { isV1, isV3, nextUuid } from './state.js'

const VENDOR = 'The Apache Software Foundation'

// https://docs.couchdb.org/en/stable/api/server/common.html#get--
export function welcome (ctx: Ctx): Reply {
  allowMethods(ctx, 'GET,HEAD')
  const { version } = ctx.state
  // The node's couchdb/uuid, generated on first need (a fresh node has none).
  const uuid = serverUuid(ctx.node)
  if (version === '1.6.1') return json(200, { couchdb: 'Welcome', uuid, version, vendor: { name: VENDOR, version } })
  if (version === '2.3.1') {
    return json(200, { couchdb: 'Welcome', version, git_sha: 'c298091a4', uuid, features: ['pluggable-storage-engines', 'scheduler'], vendor: { name: VENDOR } })
  }
  const features = ['quickjs', 'access-ready', 'partitioned', 'pluggable-storage-engines', 'reshard', 'scheduler']
  return json(200, { couchdb: 'Welcome', version, git_sha: 'e12b967', uuid, features, vendor: { name: VENDOR } })
}

// https://docs.couchdb.org/en/stable/api/server/common.html#up (2.x and later)
export function up (ctx: Ctx): Reply {
  allowMethods(ctx, 'GET,HEAD')
  return json(200, isV3(ctx.state) ? { status: 'ok', seeds: {} } : { status: 'ok' })
}

const etagOf = (value: unknown): string =>
  `"${BigInt('0x' + createHash('md5').update(JSON.stringify(value)).digest('hex')).toString(36).toUpperCase().slice(0, 25)}"`

// https://docs.couchdb.org/en/stable/api/server/common.html#all-dbs (admin-only by default in 3.x)
export function allDbs (ctx: Ctx): Reply {
  allowMethods(ctx, 'GET,HEAD')
  if (isV3(ctx.state)) requireServerAdmin(ctx)
  const names = ctx.state.databases.names()
  return json(200, names, { etag: etagOf(names) })
}

// https://docs.couchdb.org/en/stable/api/server/common.html#uuids
export function uuids (ctx: Ctx): Reply {
  allowMethods(ctx, 'GET,HEAD')
  const count = positiveIntParam(ctx.query, 'count') ?? 1
  if (count > 1000) throw couchErrors.badRequest('count parameter too large')
  const list = Array.from({ length: count }, () => nextUuid(ctx.state))
  return json(200, { uuids: list }, { etag: etagOf(list), 'cache-control': 'no-cache', pragma: 'no-cache' })
}

// https://docs.couchdb.org/en/stable/api/server/common.html#membership
// A configured node that is down stays in cluster_nodes and leaves all_nodes (the connected ones).
export function membership (ctx: Ctx): Reply {
  allowMethods(ctx, 'GET')
  const { nodes } = ctx.state
  return json(200, { all_nodes: nodes.filter((node) => node.up).map((node) => node.name), cluster_nodes: nodes.map((node) => node.name) })
}

// https://docs.couchdb.org/en/stable/api/server/authn.html#session
export async function session (ctx: Ctx): Promise<Reply> {
  allowMethods(ctx, 'GET,HEAD,POST,DELETE')
  if (ctx.method === 'DELETE') return json(200, { ok: true }, { 'set-cookie': clearedCookie(ctx.node) })
  if (ctx.method === 'POST') return await logIn(ctx)
  const handlers = isV1(ctx.state) ? ['oauth', 'cookie', 'default'] : ['cookie', 'default']
  const info: Record<string, unknown> = isV3(ctx.state) ? { authentication_handlers: handlers } : { authentication_db: '_users', authentication_handlers: handlers }
  if (ctx.authenticatedBy !== undefined) info.authenticated = ctx.authenticatedBy
  return json(200, { ok: true, userCtx: ctx.user, info })
}

async function logIn (ctx: Ctx): Promise<Reply> {
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  let name: unknown
  let password: unknown
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(ctx.body.toString('utf8'))
    name = form.get('name') ?? form.get('username')
    password = form.get('password')
  } else if (type === 'application/json') {
    const body = parseJsonBody(ctx) as Record<string, unknown> | null
    name = body?.name ?? body?.username
    password = body?.password
  } else {
    throw new CouchError(415, 'bad_content_type', 'Content-Type must be application/x-www-form-urlencoded or application/json')
  }
  // Unlike Basic auth, a login with an unknown name is checked (and counted) against an empty salt.
  const check = { state: ctx.state, node: ctx.node, req: ctx.req, onFailure: ctx.countAuthFailure }
  const checked = typeof name === 'string' && typeof password === 'string' ? await checkPassword(check, name, password, true) : null
  if (checked === null) {
    const failed = couchErrors.wrongCredentials()
    throw new CouchError(failed.status, failed.error, failed.reason, { 'set-cookie': clearedCookie(ctx.node) })
  }
  // The first successful login on a node makes that node's cookie secret.
  const secret = ensureCookieSecret(ctx.state, ctx.node)
  const cookie = sessionCookie(ctx.state, ctx.node, secret, checked.user.name ?? '', checked.credentials.salt)
  return json(200, { ok: true, name: checked.user.name, roles: checked.user.roles }, { 'set-cookie': cookie })
}
