// POST /{db}/_revs_diff: which of the given revisions the database lacks. Replication (CouchDB's
// replicator, PouchDB's replicate) asks it before sending documents, so that a document already
// there is never sent again. https://docs.couchdb.org/en/stable/api/database/misc.html#post--db-_revs_diff
import type { Database } from './database-registry.js'
import { requireMember } from './databases.js'
import { couchErrors } from './errors.js'
import { allowMethods, json, parseJsonObjectBody, requireJsonContentType, type Ctx, type Reply } from './http-kit.js'

export async function revsDiffRoute (ctx: Ctx, db: Database): Promise<Reply> {
  allowMethods(ctx, 'POST')
  requireMember(ctx, db)
  requireJsonContentType(ctx)
  const body = parseJsonObjectBody(ctx)
  for (const revs of Object.values(body)) {
    if (!Array.isArray(revs) || !revs.every((rev) => typeof rev === 'string')) throw couchErrors.badRequest('Each value must be a list of revisions.')
  }
  // PouchDB's revsDiff answers CouchDB's shape: ids with nothing missing are left out.
  return json(200, await db.pouch.revsDiff(body as Record<string, string[]>))
}
