// GET/POST /{db}/_changes: normal, longpoll and continuous feeds over PouchDB's changes.
// https://docs.couchdb.org/en/stable/api/database/changes.html
import type { Database } from './database-registry.js'
import { requireMember, seqString } from './databases.js'
import { couchErrors } from './errors.js'
import { allowMethods, boolParam, json, jsonParam, parseJsonObjectBody, positiveIntParam, type Ctx, type Reply } from './http-kit.js'
import { orderDoc } from './queries.js'

type Change = PouchDB.Core.ChangesResponseChange<object>
const DEFAULT_TIMEOUT_MS = 60000

async function currentSeq (db: Database): Promise<number> {
  return Number((await db.pouch.info()).update_seq)
}

/** `since` is opaque to clients; the double's seqs start with the integer it counts. */
async function parseSince (db: Database, since: string | null): Promise<number> {
  if (since === null) return 0
  if (since === 'now') return await currentSeq(db)
  const match = /^(\d+)(-.*)?$/.exec(since)
  if (match === null) throw couchErrors.badRequest("Malformed sequence supplied in 'since' parameter.")
  return Number(match[1])
}

function readFilter (ctx: Ctx): Record<string, unknown> {
  const body = ctx.method === 'POST' && ctx.body.length > 0 ? parseJsonObjectBody(ctx) : {}
  const filter = ctx.query.get('filter')
  if (filter === null) return {}
  if (filter === '_doc_ids') {
    const ids = body.doc_ids ?? jsonParam(ctx.query, 'doc_ids')
    if (!Array.isArray(ids)) throw couchErrors.badRequest('`doc_ids` filter parameter is not a list of doc ids.')
    return { doc_ids: ids }
  }
  if (filter === '_selector') {
    if (body.selector === undefined) throw couchErrors.badRequest('Selector must be specified in POST payload')
    return { selector: body.selector }
  }
  if (filter === '_design') return { filter: (doc: { _id: string }) => doc._id.startsWith('_design/') }
  return { filter }
}

export async function changesRoute (ctx: Ctx, db: Database): Promise<Reply> {
  allowMethods(ctx, 'GET,HEAD,POST')
  requireMember(ctx, db)
  const since = await parseSince(db, ctx.query.get('since'))
  const options = {
    ...readFilter(ctx),
    include_docs: boolParam(ctx.query, 'include_docs') ?? false,
    descending: boolParam(ctx.query, 'descending') ?? false,
    limit: positiveIntParam(ctx.query, 'limit'),
    style: ctx.query.get('style') === 'all_docs' ? 'all_docs' : undefined,
  }
  const timeout = positiveIntParam(ctx.query, 'timeout') ?? DEFAULT_TIMEOUT_MS
  const feed = ctx.query.get('feed') ?? 'normal'
  const format = (change: Change): Record<string, unknown> => ({
    seq: seqString(ctx.state, Number(change.seq)),
    id: change.id,
    changes: change.changes,
    ...(change.deleted === true ? { deleted: true } : {}),
    ...(change.doc !== undefined ? { doc: orderDoc(change.doc as unknown as Record<string, unknown>) } : {}),
  })
  const pendingAfter = async (seq: number): Promise<number> => (await db.pouch.changes({ since: seq })).results.length

  const first = await db.pouch.changes({ ...options, since } as PouchDB.Core.ChangesOptions)
  if (feed === 'continuous') {
    return {
      status: 200,
      stream: async (write, closed) => {
        for (const change of first.results) write(JSON.stringify(format(change)) + '\n')
        const rest = await waitForChanges(db, { ...options, since: Number(first.last_seq) }, timeout, closed, (change) => {
          write(JSON.stringify(format(change)) + '\n')
        })
        const last = rest.length > 0 ? Number(rest[rest.length - 1].seq) : Number(first.last_seq)
        write(JSON.stringify({ last_seq: seqString(ctx.state, last), pending: 0 }) + '\n')
      },
    }
  }
  let results = first.results
  let lastSeq = Number(first.last_seq)
  if (feed === 'longpoll' && results.length === 0) {
    results = await waitForChanges(db, { ...options, since }, timeout, ctx.closed)
    if (results.length > 0) lastSeq = Number(results[results.length - 1].seq)
  }
  const body = { results: results.map(format), last_seq: seqString(ctx.state, lastSeq), pending: await pendingAfter(lastSeq) }
  // The normal feed carries an ETag; longpoll answers do not.
  return json(200, body, feed === 'normal' ? { etag: `"${Buffer.from(String(lastSeq)).toString('hex').toUpperCase()}"` } : {})
}

/**
 * Longpoll: resolves with the first batch of live changes, or [] at the timeout or when the client goes
 * away. Continuous (`onEach`): hands over every change until the timeout.
 */
async function waitForChanges (
  db: Database, options: Record<string, unknown>, timeoutMs: number, closed: Promise<void>, onEach?: (change: Change) => void
): Promise<Change[]> {
  return await new Promise((resolve) => {
    const found: Change[] = []
    const live = db.pouch.changes({ ...options, live: true } as PouchDB.Core.ChangesOptions)
    const finish = (): void => {
      clearTimeout(timer)
      live.cancel()
      resolve(found)
    }
    const timer = setTimeout(finish, timeoutMs)
    live.on('change', (change) => {
      found.push(change)
      if (onEach !== undefined) return onEach(change)
      // Let changes written in the same tick join the batch, then answer.
      setImmediate(finish)
    })
    live.on('error', finish)
    closed.then(finish, finish)
  })
}
