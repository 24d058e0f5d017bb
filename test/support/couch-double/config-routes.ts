// The configuration API: `/_config/...` on 1.x, `/_node/{node}/_config/...` on 2.x and 3.x.
// Config is per node: `/_node/<name>/...` on any node reads and writes the NAMED node's config
// (`_local` = the node that received the request). PUT and DELETE answer the OLD value; config
// values travel as JSON strings.
// https://docs.couchdb.org/en/stable/api/server/configuration.html
import { couchErrors } from './errors.js'
import { allowMethods, json, parseJsonBody, requireServerAdmin, type Ctx, type Reply } from './http-kit.js'
import { setAdmin, setConfigValue, type NodeState } from './node-state.js'

/** `/_node/{node}[/_config/...]`; `_local` and the cluster's own node names are known. */
export function nodeRoute (ctx: Ctx): Reply {
  requireServerAdmin(ctx)
  const [, node, sub, ...rest] = ctx.parts
  if (node === undefined) throw couchErrors.dbMissing()
  const target = node === '_local' ? ctx.node : ctx.state.nodes.find((candidate) => candidate.name === node)
  // A stopped node: the rpc to it fails with nodedown (chttpd_node:call_node), so 412 "<name> is
  // down" is assumed from the source, not recorded. Unknown names get the same 412 here.
  if (target === undefined || !target.up) throw couchErrors.nodeDown(node)
  if (sub === undefined) {
    allowMethods(ctx, 'GET')
    return json(200, { name: target.name })
  }
  if (sub === '_config') return config(ctx, target, rest)
  throw couchErrors.docMissing()
}

/** `/_config/...` (1.x only; later versions read `_config` as a database name). */
export function legacyConfigRoute (ctx: Ctx): Reply {
  requireServerAdmin(ctx)
  return config(ctx, ctx.node, ctx.parts.slice(1))
}

function config (ctx: Ctx, node: NodeState, path: string[]): Reply {
  const [section, key] = path
  if (section === undefined) {
    allowMethods(ctx, 'GET')
    return json(200, Object.fromEntries([...node.config].map(([name, values]) => [name, Object.fromEntries(values)])))
  }
  if (key === undefined) {
    allowMethods(ctx, 'GET')
    return json(200, Object.fromEntries(node.config.get(section) ?? []))
  }
  allowMethods(ctx, 'GET,PUT,DELETE')
  const old = node.config.get(section)?.get(key)
  if (ctx.method === 'GET') {
    if (old === undefined) throw couchErrors.unknownConfig()
    return json(200, old)
  }
  if (ctx.method === 'DELETE') {
    if (old === undefined) throw couchErrors.unknownConfig()
    node.config.get(section)?.delete(key)
    ctx.markWrite()
    return json(200, old)
  }
  const value = parseJsonBody(ctx)
  if (typeof value !== 'string') throw couchErrors.badRequest('a JSON string expected')
  if (section === 'admins') setAdmin(ctx.state, node, key, value, true)
  else setConfigValue(node, section, key, value)
  ctx.markWrite()
  return json(200, old ?? '')
}
