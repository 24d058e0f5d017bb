// Document endpoints: GET/HEAD/PUT/DELETE/COPY /{db}/{docid}, POST /{db}. PouchDB keeps the revs.
// https://docs.couchdb.org/en/stable/api/document/common.html
import type { Database } from './database-registry.js'
import { existingDatabase, locationOf, requireDbAdmin, requireMember } from './databases.js'
import { CouchError, couchErrors, fromPouchError } from './errors.js'
import { boolParam, json, parseJsonBody, requireJsonContentType, type Ctx, type Reply } from './http-kit.js'
import { hashUserDocument } from './passwords.js'
import { isV3, maxDocumentSize, nextUuid } from './state.js'

type Doc = Record<string, unknown>

/** Ids starting with `_` are reserved, except design and local documents. */
export function checkDocId (id: unknown): void {
  if (typeof id === 'string' && id.startsWith('_') && !id.startsWith('_design/') && !id.startsWith('_local/')) throw couchErrors.illegalDocId()
}

export const encodeDocId = (id: string): string => id.startsWith('_design/') || id.startsWith('_local/')
  ? id.slice(0, id.indexOf('/') + 1) + encodeURIComponent(id.slice(id.indexOf('/') + 1))
  : encodeURIComponent(id)

/** What every write does before PouchDB sees the document: size limit, `_users` password hashing, ddoc checks. */
export function prepareDocument (ctx: Ctx, db: Database, doc: Doc): Doc {
  if (Buffer.byteLength(JSON.stringify(doc)) > maxDocumentSize(ctx.state)) throw couchErrors.tooLarge()
  const id = String(doc._id ?? '')
  if (id.startsWith('_design/')) {
    requireDbAdmin(ctx, db)
    compileViews(doc)
  } else {
    requireMember(ctx, db)
  }
  return db.name === '_users' ? hashUserDocument(doc, isV3(ctx.state) ? 'sha256' : 'sha1') : doc
}

/** Map functions are compiled at save time (400 compilation_error), as CouchDB 3 does. */
function compileViews (doc: Doc): void {
  if (doc.language !== undefined && doc.language !== 'javascript') return
  for (const [name, view] of Object.entries((doc.views ?? {}) as Record<string, { map?: unknown }>)) {
    if (typeof view?.map !== 'string') continue
    try {
      // eslint-disable-next-line no-new, no-new-func
      new Function(`return (${view.map})`)
    } catch (err) {
      throw new CouchError(400, 'compilation_error', `Compilation of the map function in the '${name}' view failed: ${String(err)}`)
    }
  }
}

function parseDocumentBody (ctx: Ctx): Doc {
  if (ctx.body.length > maxDocumentSize(ctx.state)) throw couchErrors.tooLarge()
  const value = parseJsonBody(ctx)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw couchErrors.badRequest('Document must be a JSON object')
  return value as Doc
}

const ifMatch = (ctx: Ctx): string | undefined => ctx.req.headers['if-match']?.replace(/"/g, '')

const written = (ctx: Ctx, id: string, rev: string, status = 201): Reply =>
  json(status, { ok: true, id, rev }, { etag: `"${rev}"`, ...(status === 201 ? { location: locationOf(ctx, `/${encodeURIComponent(ctx.parts[0])}/${encodeDocId(id)}`) } : {}) })

// POST /{db}: create with a server-generated id (Location, no ETag).
export async function postDocument (ctx: Ctx): Promise<Reply> {
  const db = existingDatabase(ctx)
  requireJsonContentType(ctx)
  const doc = parseDocumentBody(ctx)
  checkDocId(doc._id)
  const id = typeof doc._id === 'string' ? doc._id : nextUuid(ctx.state)
  try {
    const result = await db.pouch.put(prepareDocument(ctx, db, { ...doc, _id: id }) as PouchDB.Core.PutDocument<object>)
    ctx.markWrite()
    return json(201, { ok: true, id, rev: result.rev }, { location: locationOf(ctx, `/${encodeURIComponent(db.name)}/${encodeDocId(id)}`) })
  } catch (err) { throw fromPouchError(err) }
}

export async function documentRoute (ctx: Ctx, id: string, rest: string[]): Promise<Reply> {
  const db = existingDatabase(ctx)
  checkDocId(id)
  if (rest.length > 0) return await attachment(ctx, db, id)
  switch (ctx.method) {
    case 'GET': case 'HEAD': return await getDocument(ctx, db, id)
    case 'PUT': return await putDocument(ctx, db, id)
    case 'DELETE': return await deleteDocument(ctx, db, id)
    case 'COPY': return await copyDocument(ctx, db, id)
    case 'POST': throw couchErrors.badRequest('Referer header required.')
    default: throw couchErrors.methodNotAllowed('DELETE,GET,HEAD,POST,PUT,COPY')
  }
}

async function getDocument (ctx: Ctx, db: Database, id: string): Promise<Reply> {
  requireMember(ctx, db)
  const options: Record<string, unknown> = {}
  const rev = ctx.query.get('rev')
  if (rev !== null) options.rev = rev
  for (const flag of ['revs', 'revs_info', 'conflicts', 'deleted_conflicts', 'latest']) {
    const value = boolParam(ctx.query, flag)
    if (value !== undefined) options[flag] = value
  }
  let doc: Doc
  try {
    doc = await db.pouch.get(id, options) as unknown as Doc
    // PouchDB has no `deleted_conflicts`; CouchDB lists the deleted leaves other than the one shown.
    if (options.deleted_conflicts === true) {
      const leaves = await db.pouch.get(id, { open_revs: 'all' }) as unknown as Array<{ ok?: Doc }>
      const deleted = leaves.flatMap(({ ok }) => ok?._deleted === true && ok._rev !== doc._rev ? [ok._rev] : [])
      if (deleted.length > 0) doc._deleted_conflicts = deleted
    }
  } catch (err) { throw fromPouchError(err) }
  const etag = `"${String(doc._rev)}"`
  if (ctx.req.headers['if-none-match'] === etag) return { status: 304, headers: { etag }, bare: true }
  return json(200, { _id: doc._id, _rev: doc._rev, ...doc }, { etag })
}

async function putDocument (ctx: Ctx, db: Database, id: string): Promise<Reply> {
  const doc = parseDocumentBody(ctx)
  const queryRev = ctx.query.get('rev') ?? undefined
  if (queryRev !== undefined && doc._rev !== undefined && doc._rev !== queryRev) {
    throw couchErrors.badRequest('Document rev from request body and query string have different values')
  }
  const rev = doc._rev ?? queryRev ?? ifMatch(ctx)
  const toWrite = prepareDocument(ctx, db, { ...doc, _id: id, ...(rev === undefined ? {} : { _rev: rev }) })
  try {
    const result = await db.pouch.put(toWrite as PouchDB.Core.PutDocument<object>)
    ctx.markWrite()
    return written(ctx, id, result.rev)
  } catch (err) { throw fromPouchError(err) }
}

async function deleteDocument (ctx: Ctx, db: Database, id: string): Promise<Reply> {
  if (id.startsWith('_design/')) requireDbAdmin(ctx, db)
  else requireMember(ctx, db)
  const rev = ctx.query.get('rev') ?? ifMatch(ctx)
  if (rev === undefined) throw couchErrors.conflict()
  try {
    const result = await db.pouch.remove(id, rev)
    ctx.markWrite()
    return written(ctx, id, result.rev, 200)
  } catch (err) { throw fromPouchError(err) }
}

// COPY /{db}/{docid} with `Destination: newid` or `newid?rev=...`
async function copyDocument (ctx: Ctx, db: Database, id: string): Promise<Reply> {
  const destination = ctx.req.headers.destination
  if (typeof destination !== 'string' || destination === '') throw couchErrors.badRequest('Destination header is mandatory for COPY.')
  const [target, targetQuery = ''] = destination.split('?')
  const targetId = decodeURIComponent(target)
  checkDocId(targetId)
  const targetRev = new URLSearchParams(targetQuery).get('rev') ?? undefined
  try {
    const source = await db.pouch.get(id, ctx.query.has('rev') ? { rev: ctx.query.get('rev') as string } : {}) as unknown as Doc
    const { _rev: _ignored, ...body } = source
    const doc = prepareDocument(ctx, db, { ...body, _id: targetId, ...(targetRev === undefined ? {} : { _rev: targetRev }) })
    const result = await db.pouch.put(doc as PouchDB.Core.PutDocument<object>)
    ctx.markWrite()
    return json(201, { ok: true, id: targetId, rev: result.rev }, { etag: `"${result.rev}"`, location: locationOf(ctx, `/${encodeURIComponent(db.name)}/${encodeDocId(targetId)}`) })
  } catch (err) { throw fromPouchError(err) }
}

/** Attachments are not stored by the double: a missing doc is "missing", an existing one lacks it. */
async function attachment (ctx: Ctx, db: Database, id: string): Promise<Reply> {
  requireMember(ctx, db)
  try {
    await db.pouch.get(id)
  } catch (err) { throw fromPouchError(err) }
  throw new CouchError(404, 'not_found', 'Document is missing attachment')
}
