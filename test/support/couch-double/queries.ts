// _all_docs, _design_docs, _bulk_docs and _bulk_get over PouchDB (_revs_diff: revs-diff.ts).
// https://docs.couchdb.org/en/stable/api/database/bulk-api.html
import type { Database } from './database-registry.js'
import { requireMember, seqString } from './databases.js'
import { checkDocId, prepareDocument } from './documents.js'
import { CouchError, couchErrors, fromPouchError } from './errors.js'
import { allowMethods, boolParam, json, jsonParam, parseJsonObjectBody, positiveIntParam, requireJsonContentType, type Ctx, type Reply } from './http-kit.js'
import { lowerBound, sortedIds } from './id-index.js'
import { isV3, nextUuid } from './state.js'

type Doc = Record<string, unknown>
type Row = { id?: string, key: unknown, value?: unknown, doc?: Doc | null, error?: string }

/** `_id` and `_rev` first, as CouchDB writes them. */
export const orderDoc = (doc: Doc): Doc => ({ _id: doc._id, _rev: doc._rev, ...doc })

/** Reads the view-style query parameters CouchDB accepts on _all_docs, rejecting bad values with 400. */
function readAllDocsOptions (ctx: Ctx, keysFromBody: unknown): Record<string, unknown> {
  const q = ctx.query
  const options: Record<string, unknown> = {}
  for (const name of ['include_docs', 'descending', 'inclusive_end', 'conflicts', 'update_seq']) {
    const value = boolParam(q, name)
    if (value !== undefined) options[name] = value
  }
  for (const name of ['limit', 'skip']) {
    const value = positiveIntParam(q, name)
    if (value !== undefined) options[name] = value
  }
  const startkey = jsonParam(q, 'startkey', 'start_key') ?? (q.get('startkey_docid') ?? q.get('start_key_doc_id') ?? undefined)
  const endkey = jsonParam(q, 'endkey', 'end_key') ?? (q.get('endkey_docid') ?? q.get('end_key_doc_id') ?? undefined)
  const key = jsonParam(q, 'key')
  const keys = keysFromBody ?? jsonParam(q, 'keys')
  if (startkey !== undefined) options.startkey = startkey
  if (endkey !== undefined) options.endkey = endkey
  if (key !== undefined) options.key = key
  if (keys !== undefined) {
    if (!Array.isArray(keys)) throw couchErrors.badRequest('`keys` member must be an array.')
    options.keys = keys
  }
  return options
}

// GET/POST /{db}/_all_docs and /{db}/_design_docs
export async function allDocsRoute (ctx: Ctx, db: Database, designOnly: boolean): Promise<Reply> {
  allowMethods(ctx, 'GET,HEAD,POST')
  requireMember(ctx, db)
  let keysFromBody: unknown
  if (ctx.method === 'POST') {
    requireJsonContentType(ctx)
    keysFromBody = parseJsonObjectBody(ctx).keys
  }
  const options = readAllDocsOptions(ctx, keysFromBody)
  const { update_seq: withSeq, ...pouchOptions } = options
  if (designOnly) {
    pouchOptions.startkey ??= options.descending === true ? '_design0' : '_design/'
    pouchOptions.endkey ??= options.descending === true ? '_design/' : '_design0'
  }
  const result = await db.pouch.allDocs(pouchOptions)
  const rows = (result.rows as Row[]).map((row) => row.doc != null ? { ...row, doc: orderDoc(row.doc) } : row)
  let totalRows = result.total_rows
  if (designOnly) totalRows = (await db.pouch.allDocs({ startkey: '_design/', endkey: '_design0' })).rows.length
  const offset = options.keys !== undefined ? null : await offsetOf(db, pouchOptions)
  const body: Record<string, unknown> = { total_rows: totalRows, offset }
  if (withSeq === true) body.update_seq = seqString(ctx.state, Number((await db.pouch.info()).update_seq))
  body.rows = rows
  return json(200, body)
}

/** CouchDB's offset: how many rows of the whole index come before the first one returned. */
async function offsetOf (db: Database, options: Record<string, unknown>): Promise<number> {
  const skip = Number(options.skip ?? 0)
  const start = options.key ?? options.startkey
  if (start === undefined) return skip
  const ids = await sortedIds(db)
  const firstAtOrAfter = lowerBound(ids, start as string)
  if (options.descending !== true) return firstAtOrAfter + skip
  const firstAfter = ids[firstAtOrAfter] === start ? firstAtOrAfter + 1 : firstAtOrAfter
  return ids.length - firstAfter + skip
}

// POST /{db}/_bulk_docs
export async function bulkDocsRoute (ctx: Ctx, db: Database): Promise<Reply> {
  allowMethods(ctx, 'POST')
  requireJsonContentType(ctx)
  const body = parseJsonObjectBody(ctx)
  if (body.docs === undefined) throw couchErrors.badRequest('POST body must include `docs` parameter.')
  if (!Array.isArray(body.docs)) throw couchErrors.badRequest('`docs` parameter must be an array.')
  const newEdits = body.new_edits ?? true
  if (typeof newEdits !== 'boolean') throw couchErrors.badRequest('`new_edits` parameter must be a boolean.')
  const docs = body.docs as Doc[]
  // Replicated writes (new_edits false) bring their own revs (chttpd_db:validate_revs).
  if (!newEdits && docs.some((doc) => doc?._rev === undefined && doc?._revisions === undefined)) {
    throw couchErrors.badRequest('When `new_edits: false`, the document needs `_rev` or `_revisions` specified')
  }
  if (body.all_or_nothing === true && isV3(ctx.state)) {
    return json(417, docs.map((doc) => ({ id: doc._id, rev: '0-', error: 'not_implemented', reason: 'all_or_nothing is not supported' })))
  }
  requireMember(ctx, db)
  // One illegal id fails the whole request before anything is written.
  for (const doc of docs) checkDocId(doc?._id)
  const prepared = docs.map((doc) => prepareDocument(ctx, db, { ...doc, _id: doc._id ?? nextUuid(ctx.state) }))
  let results: Array<Record<string, unknown>>
  try {
    results = await db.pouch.bulkDocs(prepared as PouchDB.Core.PutDocument<object>[], { new_edits: newEdits }) as unknown as Array<Record<string, unknown>>
  } catch (err) { throw fromPouchError(err) }
  if (!newEdits) {
    // Replicated writes answer only their errors: [] when all were stored.
    const errors = results.filter((result) => result.error !== undefined && result.ok !== true)
      .map((result) => ({ id: result.id, error: fromPouchError(result).error, reason: fromPouchError(result).reason }))
    if (errors.length < docs.length) ctx.markWrite()
    return json(201, errors)
  }
  const answer = results.map((result, i) => {
    if (result.error === undefined || result.ok === true) return { ok: true, id: result.id ?? prepared[i]._id, rev: result.rev }
    const error = fromPouchError(result)
    return { id: prepared[i]._id, error: error.error, reason: error.reason }
  })
  if (answer.some((entry) => 'ok' in entry)) ctx.markWrite()
  return json(201, answer)
}

// POST /{db}/_bulk_get: deleted docs come back as their tombstone, missing ones as error entries.
export async function bulkGetRoute (ctx: Ctx, db: Database): Promise<Reply> {
  allowMethods(ctx, 'POST')
  requireMember(ctx, db)
  requireJsonContentType(ctx)
  const body = parseJsonObjectBody(ctx)
  if (!Array.isArray(body.docs)) throw new CouchError(400, 'bad_request', 'Missing JSON list of \'docs\'.')
  // `revs=true` (replication always asks it) adds each document's `_revisions`, which the
  // target needs to place the revision in its tree (chttpd_db.erl, bulk_get).
  const revs = boolParam(ctx.query, 'revs') === true
  const results = []
  for (const request of body.docs as Array<{ id?: string, rev?: string }>) {
    const id = String(request.id)
    let rev = request.rev
    if (rev === undefined) {
      const row = (await db.pouch.allDocs({ keys: [id] })).rows[0] as Row
      rev = (row.value as { rev?: string } | undefined)?.rev
    }
    try {
      if (rev === undefined) throw couchErrors.docMissing()
      const doc = await db.pouch.get(id, { rev, revs }) as unknown as Doc
      results.push({ id, docs: [{ ok: orderDoc(doc) }] })
    } catch (err) {
      const error = fromPouchError(err)
      results.push({ id, docs: [{ error: { rev: request.rev ?? 'undefined', reason: error.reason, id, error: error.error } }] })
    }
  }
  return json(200, { results })
}
