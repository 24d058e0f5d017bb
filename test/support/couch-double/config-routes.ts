// The configuration API: `/_config/...` on 1.x, `/_node/{node}/_config/...` on 2.x and 3.x.
// PUT and DELETE answer the OLD value; config values travel as JSON strings.
// https://docs.couchdb.org/en/stable/api/server/configuration.html
import { couchErrors } from './errors.js'
import { allowMethods, json, parseJsonBody, requireServerAdmin, type Ctx, type Reply } from './http-kit.js'
import { hashAdminPassword, isHashed } from './passwords.js'
import { isV3, type DoubleState } from './state.js'

/** `/_node/{node}[/_config/...]`; `_local` and the cluster's own node names are known. */
export function nodeRoute (ctx: Ctx): Reply {
  requireServerAdmin(ctx)
  const [, node, sub, ...rest] = ctx.parts
  const name = node === '_local' ? ctx.state.nodes[0] : node
  if (node === undefined) throw couchErrors.dbMissing()
  if (!ctx.state.nodes.includes(name)) throw couchErrors.nodeDown(name)
  if (sub === undefined) {
    allowMethods(ctx, 'GET')
    return json(200, { name })
  }
  if (sub === '_config') return config(ctx, rest)
  throw couchErrors.docMissing()
}

/** `/_config/...` (1.x only; later versions read `_config` as a database name). */
export function legacyConfigRoute (ctx: Ctx): Reply {
  requireServerAdmin(ctx)
  return config(ctx, ctx.parts.slice(1))
}

function config (ctx: Ctx, path: string[]): Reply {
  const { state } = ctx
  const [section, key] = path
  if (section === undefined) {
    allowMethods(ctx, 'GET')
    return json(200, Object.fromEntries([...state.config].map(([name, values]) => [name, Object.fromEntries(values)])))
  }
  if (key === undefined) {
    allowMethods(ctx, 'GET')
    return json(200, Object.fromEntries(state.config.get(section) ?? []))
  }
  allowMethods(ctx, 'GET,PUT,DELETE')
  const values = state.config.get(section) ?? new Map<string, string>()
  const old = values.get(key)
  if (ctx.method === 'GET') {
    if (old === undefined) throw couchErrors.unknownConfig()
    return json(200, old)
  }
  if (ctx.method === 'DELETE') {
    if (old === undefined) throw couchErrors.unknownConfig()
    values.delete(key)
    ctx.markWrite()
    return json(200, old)
  }
  const value = parseJsonBody(ctx)
  if (typeof value !== 'string') throw couchErrors.badRequest('a JSON string expected')
  values.set(key, section === 'admins' ? adminValue(state, key, value) : value)
  state.config.set(section, values)
  ctx.markWrite()
  return json(200, old ?? '')
}

/** Plain passwords are stored hashed; a value that is already a hash is kept as is. */
function adminValue (state: DoubleState, name: string, value: string): string {
  if (isHashed(value)) {
    state.adminUsableAt.delete(name)
    return value
  }
  state.adminUsableAt.set(name, Date.now() + state.adminActivationDelayMs)
  return hashAdminPassword(value, isV3(state) ? 'sha256' : 'sha1')
}
