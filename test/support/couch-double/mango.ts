// A small Mango: `_index` stores CouchDB-shaped index design docs, `_find` filters with PouchDB's
// selector matching (through its changes feed) and orders by the index it would use.
// https://docs.couchdb.org/en/stable/api/database/find.html
import { createHash } from 'node:crypto'
import type { Database } from './database-registry.js'
import { requireMember } from './databases.js'
import { CouchError } from './errors.js'
import { allowMethods, json, parseJsonObjectBody, requireJsonContentType, type Ctx, type Reply } from './http-kit.js'
import { orderDoc } from './queries.js'

type Doc = Record<string, unknown>
interface JsonIndex { ddoc: string, name: string, fields: string[] }

const fieldName = (field: unknown): string => typeof field === 'string' ? field : Object.keys(field as object)[0]

async function jsonIndexes (db: Database): Promise<JsonIndex[]> {
  const ddocs = await db.pouch.allDocs({ startkey: '_design/', endkey: '_design0', include_docs: true })
  return ddocs.rows.flatMap((row) => {
    const doc = row.doc as unknown as { _id: string, language?: string, views?: Record<string, { options?: { def?: { fields?: unknown[] } } }> }
    if (doc?.language !== 'query') return []
    return Object.entries(doc.views ?? {}).map(([name, view]) => ({ ddoc: doc._id, name, fields: (view.options?.def?.fields ?? []).map(fieldName) }))
  })
}

// GET/POST /{db}/_index
export async function indexRoute (ctx: Ctx, db: Database): Promise<Reply> {
  allowMethods(ctx, 'GET,POST')
  requireMember(ctx, db)
  if (ctx.method === 'GET') {
    const indexes = (await jsonIndexes(db)).map((index) => ({
      ddoc: index.ddoc, name: index.name, type: 'json', partitioned: false, def: { fields: index.fields.map((field) => ({ [field]: 'asc' })) },
    }))
    return json(200, { total_rows: indexes.length + 1, indexes: [{ ddoc: null, name: '_all_docs', type: 'special', def: { fields: [{ _id: 'asc' }] } }, ...indexes] })
  }
  requireJsonContentType(ctx)
  const body = parseJsonObjectBody(ctx)
  const fields = (body.index as { fields?: unknown[] } | undefined)?.fields
  if (!Array.isArray(fields)) throw new CouchError(400, 'missing_required_key', 'Missing required key: index')
  const hash = createHash('sha1').update(JSON.stringify(fields)).digest('hex')
  const id = typeof body.ddoc === 'string' ? (body.ddoc.startsWith('_design/') ? body.ddoc : `_design/${body.ddoc}`) : `_design/${hash}`
  const name = typeof body.name === 'string' ? body.name : hash
  if ((await jsonIndexes(db)).some((index) => index.ddoc === id && index.name === name)) return json(200, { result: 'exists', id, name })
  const map = { fields: Object.fromEntries(fields.map((field) => [fieldName(field), 'asc'])), partial_filter_selector: {} }
  await db.pouch.put({ _id: id, language: 'query', views: { [name]: { map, reduce: '_count', options: { def: { fields } } } } } as unknown as PouchDB.Core.PutDocument<object>)
  ctx.markWrite()
  return json(200, { result: 'created', id, name })
}

const valueAt = (doc: Doc, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value as Doc | undefined)?.[key], doc)

function compare (a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === undefined) return -1
  if (b === undefined) return 1
  if (typeof a === typeof b) return (a as number) < (b as number) ? -1 : 1
  return typeof a < typeof b ? -1 : 1
}

// POST /{db}/_find
export async function findRoute (ctx: Ctx, db: Database): Promise<Reply> {
  allowMethods(ctx, 'POST')
  requireMember(ctx, db)
  requireJsonContentType(ctx)
  const started = Date.now()
  const body = parseJsonObjectBody(ctx)
  if (body.selector === undefined) throw new CouchError(400, 'missing_required_key', 'Missing required key: selector')
  const selector = body.selector as Doc
  const sort = Array.isArray(body.sort) ? body.sort.map(fieldName) : []
  const indexes = await jsonIndexes(db)
  const index = sort.length > 0
    ? indexes.find((candidate) => sort.every((field, i) => candidate.fields[i] === field))
    : indexes.find((candidate) => candidate.fields[0] in selector)
  if (sort.length > 0 && index === undefined) throw new CouchError(400, 'no_usable_index', 'No index exists for this sort, try indexing by the sort fields.')
  const changes = await db.pouch.changes({ since: 0, include_docs: true, selector } as PouchDB.Core.ChangesOptions)
  let docs = changes.results
    .filter((change) => change.deleted !== true && !change.id.startsWith('_design/'))
    .map((change) => orderDoc(change.doc as unknown as Doc))
  const orderBy = index?.fields ?? ['_id']
  docs.sort((a, b) => orderBy.reduce((result, field) => result !== 0 ? result : compare(valueAt(a, field), valueAt(b, field)), 0))
  if (index !== undefined) docs = docs.filter((doc) => index.fields.every((field) => valueAt(doc, field) !== undefined))
  const examined = docs.length
  const skip = Number(body.skip ?? 0)
  docs = docs.slice(skip, skip + Number(body.limit ?? 25))
  if (Array.isArray(body.fields)) {
    const fields = body.fields as string[]
    docs = docs.map((doc) => Object.fromEntries(fields.filter((field) => valueAt(doc, field) !== undefined).map((field) => [field, valueAt(doc, field)])))
  }
  const answer: Record<string, unknown> = { docs, bookmark: Buffer.from(`couch-double:${skip + docs.length}`).toString('base64url') }
  if (index === undefined) answer.warning = 'No matching index found, create an index to optimize query time.'
  if (body.execution_stats === true) {
    answer.execution_stats = { total_keys_examined: examined, total_docs_examined: examined, total_quorum_docs_examined: 0, results_returned: docs.length, execution_time_ms: Date.now() - started }
  }
  return json(200, answer)
}
