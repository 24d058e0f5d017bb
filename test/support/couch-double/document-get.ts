// GET/HEAD /{db}/{docid} with the revision options: rev, revs, revs_info, conflicts,
// deleted_conflicts, meta, latest, open_revs. PouchDB keeps the rev tree; what it lacks
// (deleted_conflicts, open_revs' answer formats, no ETag with meta) is added here.
// https://docs.couchdb.org/en/stable/api/document/common.html#get--db-docid
import type { Database } from './database-registry.js'
import { requireMember } from './databases.js'
import { couchErrors, fromPouchError } from './errors.js'
import { boolParam, json, type Ctx, type Reply } from './http-kit.js'
import { orderDoc } from './queries.js'
import { randomHex } from './state.js'

type Doc = Record<string, unknown>
type OpenRev = { ok: Doc } | { missing: string }

/** CouchDB's order of leaves: the winner first (higher generation, then the larger hash). */
const byRevDescending = (a: string, b: string): number => {
  const [ga, ha] = [parseInt(a, 10), a.slice(a.indexOf('-') + 1)]
  const [gb, hb] = [parseInt(b, 10), b.slice(b.indexOf('-') + 1)]
  return gb - ga || (hb > ha ? 1 : hb < ha ? -1 : 0)
}

async function leaves (db: Database, id: string, options: Doc): Promise<OpenRev[]> {
  try {
    return await db.pouch.get(id, { ...options, open_revs: 'all' } as PouchDB.Core.GetOpenRevisions) as unknown as OpenRev[]
  } catch (err) { throw fromPouchError(err) }
}

export async function getDocument (ctx: Ctx, db: Database, id: string): Promise<Reply> {
  requireMember(ctx, db)
  const meta = boolParam(ctx.query, 'meta') === true
  const options: Doc = {}
  for (const flag of ['revs', 'revs_info', 'conflicts', 'latest']) {
    const value = boolParam(ctx.query, flag)
    if (value !== undefined) options[flag] = value
  }
  if (meta) Object.assign(options, { conflicts: true, revs_info: true })
  const openRevs = ctx.query.get('open_revs')
  if (openRevs !== null) return await openRevisions(ctx, db, id, openRevs, options)
  const rev = ctx.query.get('rev')
  // latest=true opens the winning leaf whatever rev asks for (chttpd_db:db_doc_req).
  if (rev !== null && options.latest !== true) options.rev = rev
  let doc: Doc
  try {
    doc = orderDoc(await db.pouch.get(id, options) as unknown as Doc)
  } catch (err) { throw fromPouchError(err) }
  if (meta || boolParam(ctx.query, 'deleted_conflicts') === true) {
    const deleted = (await leaves(db, id, {})).flatMap((leaf) => 'ok' in leaf && leaf.ok._deleted === true && leaf.ok._rev !== doc._rev ? [String(leaf.ok._rev)] : [])
    if (deleted.length > 0) doc._deleted_conflicts = deleted.sort(byRevDescending)
  }
  // CouchDB sends the ETag (and honours If-None-Match) only for a doc without meta fields.
  if (['_conflicts', '_deleted_conflicts', '_revs_info', '_local_seq'].some((field) => field in doc)) return json(200, doc)
  const etag = `"${String(doc._rev)}"`
  if (ctx.req.headers['if-none-match'] === etag) return { status: 304, headers: { etag }, bare: true }
  return json(200, doc, { etag })
}

/** `open_revs=all` (every leaf, deleted ones too) or `open_revs=["2-…",…]`: JSON, or multipart/mixed when accepted. */
async function openRevisions (ctx: Ctx, db: Database, id: string, spec: string, options: Doc): Promise<Reply> {
  let wanted: 'all' | string[]
  if (spec === 'all') {
    wanted = 'all'
  } else {
    let parsed: unknown
    try { parsed = JSON.parse(spec) } catch { throw couchErrors.invalidJson() }
    if (!Array.isArray(parsed) || !parsed.every((rev) => typeof rev === 'string')) throw couchErrors.badRequest('Invalid rev format')
    wanted = parsed
  }
  let results: OpenRev[]
  try {
    results = await db.pouch.get(id, { ...options, open_revs: wanted } as PouchDB.Core.GetOpenRevisions) as unknown as OpenRev[]
  } catch (err) {
    // A missing document: `all` is a 404, listed revs are each "missing".
    if (wanted === 'all') throw fromPouchError(err)
    results = wanted.map((rev) => ({ missing: rev }))
  }
  if (wanted === 'all' && results.length === 0) throw couchErrors.docMissing()
  const answer = results.map((result) => 'ok' in result ? { ok: orderDoc(result.ok) } : result)
  if (!acceptsMultipartMixed(ctx.req.headers.accept)) return json(200, answer)
  return multipartMixed(answer)
}

/** mochiweb's accepts_content_type: a missing Accept header accepts everything. */
function acceptsMultipartMixed (accept: string | undefined): boolean {
  if (accept === undefined) return true
  return accept.split(',').some((entry) => {
    const [type, ...params] = entry.trim().split(';').map((part) => part.trim())
    const q = params.find((param) => param.startsWith('q='))
    return ['multipart/mixed', 'multipart/*', '*/*'].includes(type) && (q === undefined || Number(q.slice(2)) > 0)
  })
}

/** chttpd_db:send_docs_multipart without attachments: one JSON part per result. */
function multipartMixed (results: Array<{ ok: Doc } | { missing: string }>): Reply {
  const boundary = randomHex(16)
  const parts = results.map((result) => 'ok' in result
    ? `\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(result.ok)}\r\n--${boundary}`
    : `\r\nContent-Type: application/json; error="true"\r\n\r\n${JSON.stringify(result)}\r\n--${boundary}`)
  return { status: 200, text: `--${boundary}${parts.join('')}--`, headers: { 'content-type': `multipart/mixed; boundary="${boundary}"` } }
}
