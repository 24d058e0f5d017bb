// Design-document views (PouchDB's map/reduce) and `_info`.
// https://docs.couchdb.org/en/stable/api/ddoc/views.html
import type { Database } from './database-registry.js'
import { requireMember } from './databases.js'
import { CouchError, couchErrors, fromPouchError } from './errors.js'
import { allowMethods, boolParam, json, jsonParam, parseJsonObjectBody, positiveIntParam, requireJsonContentType, type Ctx, type Reply } from './http-kit.js'
import { orderDoc } from './queries.js'

type DesignDoc = { views?: Record<string, { map?: unknown, reduce?: unknown }>, language?: string }

async function designDoc (db: Database, name: string): Promise<DesignDoc> {
  try {
    return await db.pouch.get(`_design/${name}`) as unknown as DesignDoc
  } catch (err) { throw fromPouchError(err) }
}

// GET/POST /{db}/_design/{ddoc}/_view/{view}
export async function viewRoute (ctx: Ctx, db: Database, ddocName: string, viewName: string): Promise<Reply> {
  allowMethods(ctx, 'GET,HEAD,POST')
  requireMember(ctx, db)
  const ddoc = await designDoc(db, ddocName)
  const view = ddoc.views?.[viewName]
  if (view === undefined) throw new CouchError(404, 'not_found', 'missing_named_view')
  const q = ctx.query
  const options: Record<string, unknown> = {}
  for (const name of ['include_docs', 'descending', 'inclusive_end', 'reduce', 'group']) {
    const value = boolParam(q, name)
    if (value !== undefined) options[name] = value
  }
  for (const name of ['limit', 'skip', 'group_level']) {
    const value = positiveIntParam(q, name)
    if (value !== undefined) options[name] = value
  }
  for (const [name, aliases] of [['startkey', ['startkey', 'start_key']], ['endkey', ['endkey', 'end_key']], ['key', ['key']], ['keys', ['keys']]] as const) {
    const value = jsonParam(q, ...aliases)
    if (value !== undefined) options[name] = value
  }
  // `update=false` answers from the index as it stands, never waiting for it to be built (PouchDB's
  // `stale: 'ok'`); `lazy` answers so and updates it afterwards. PouchDB, like CouchDB, names an
  // index after its functions, so two design documents with the same views share one index.
  const update = q.get('update')
  if (update === 'false') options.stale = 'ok'
  else if (update === 'lazy') options.stale = 'update_after'
  else if (update !== null && update !== 'true') throw couchErrors.queryParse('Invalid value for `update`.')
  if (ctx.method === 'POST') {
    requireJsonContentType(ctx)
    const keys = parseJsonObjectBody(ctx).keys
    if (keys !== undefined) options.keys = keys
  }
  const reduces = view.reduce !== undefined && options.reduce !== false
  if (reduces && options.include_docs === true) throw couchErrors.queryParse('`include_docs` is invalid for reduce')
  if (!reduces && view.reduce !== undefined) options.reduce = false
  let result: { rows: Array<Record<string, unknown>>, total_rows?: number, offset?: number }
  try {
    result = await db.pouch.query(`${ddocName}/${viewName}`, options) as unknown as typeof result
  } catch (err) { throw fromPouchError(err) }
  if (reduces) return json(200, { rows: result.rows.map((row) => ({ key: row.key, value: row.value })) })
  const rows = result.rows.map((row) => ({
    id: row.id,
    key: row.key,
    value: row.value,
    ...(row.doc !== undefined ? { doc: row.doc === null ? null : orderDoc(row.doc as Record<string, unknown>) } : {}),
  }))
  return json(200, { total_rows: result.total_rows, offset: result.offset ?? 0, rows })
}

// GET /{db}/_design/{ddoc}/_info
export async function designInfoRoute (ctx: Ctx, db: Database, ddocName: string): Promise<Reply> {
  allowMethods(ctx, 'GET')
  requireMember(ctx, db)
  const ddoc = await designDoc(db, ddocName)
  const updateSeq = Number((await db.pouch.info()).update_seq)
  return json(200, {
    name: ddocName,
    view_index: {
      updates_pending: { minimum: 0, preferred: 0, total: 0 },
      waiting_commit: true,
      waiting_clients: 0,
      updater_running: false,
      update_seq: updateSeq,
      sizes: { file: 0, external: 0, active: 0 },
      signature: Buffer.from(JSON.stringify(ddoc.views ?? {})).toString('base64url').slice(0, 32),
      purge_seq: 0,
      language: ddoc.language ?? 'javascript',
      compact_running: false,
      collator_versions: [],
    },
  })
}
