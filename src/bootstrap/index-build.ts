// A design document's new views are built before any query can reach them, as couchmigrate does
// it (https://github.com/glynnbird/couchmigrate): the new content is written under a temporary
// id first, and its views queried until they answer; then the real document is written with the
// same content and the temporary one deleted. CouchDB names a view index after a digest of the
// views' definitions, not of the document's id, so the real document finds its index already
// built: queries on the old index answer until the swap, and on the new one from the swap on,
// and none waits for a rebuild.
// https://docs.couchdb.org/en/stable/maintenance/performance.html#views (building views in the background)
// https://github.com/apache/couchdb/blob/3.4.3/src/couch_mrview/src/couch_mrview_util.erl (the index's signature)
// While it waits, the build's progress comes from `_active_tasks`: one `indexer` task per shard,
// with `progress` in percent (couch_mrview_updater.erl), averaged here.
// https://docs.couchdb.org/en/stable/api/server/common.html#active-tasks
import type { DesignDocument } from '../store/design-docs.js'
import { BootstrapError } from './bootstrap-error.js'
import { describeResponse } from './couch-client.js'
import { ensureDocument, type DocumentAt, type StoredDocument } from './document-conflicts.js'
import { adminCredentials } from './session.js'
import type { StepContext } from './types.js'

/** `_design/overmind` → `_design/overmind--building` */
export function temporaryId (id: string): `_design/${string}` {
  return `${id}--building` as `_design/${string}`
}

/**
 * Writes `wanted` under its temporary id and waits until its views are built; the caller then
 * writes the real one and calls `removeTemporary`. `equal` compares a stored design document
 * with a wanted one (design-docs.ts).
 */
export async function buildUnderTemporaryId (context: StepContext, at: (id: string) => DocumentAt, wanted: DesignDocument, equal: (stored: StoredDocument, wanted: DesignDocument) => boolean): Promise<void> {
  const building = { ...wanted, _id: temporaryId(wanted._id) }
  const same = async (doc: StoredDocument): Promise<boolean> => equal(doc, building)
  await ensureDocument(context, at(building._id), { done: same, keep: same, body: (current) => ({ ...building, ...(current === undefined ? {} : { _rev: current._rev }) }) })
  const view = Object.keys(wanted.views)[0]
  if (view === undefined) return
  const path = `${at(building._id).path}/_view/${encodeURIComponent(view)}?limit=0`
  for (let round = 0; ; round++) {
    // A view query waits for the index to catch up; a long build outlasts the request's deadline.
    const answer = await context.couch.request('GET', path, { auth: adminCredentials(context) }).catch((error: unknown) => error instanceof Error ? error : new Error(String(error)))
    if (!(answer instanceof Error) && answer.status === 200) return
    if (!(answer instanceof Error) && answer.status !== 500) throw new BootstrapError(`Building the views of ${building._id} failed (${describeResponse(answer)}).`)
    context.log(`building the views of ${wanted._id} under ${building._id}: ${await progress(context, building._id)}.`)
    if (round > 1000) throw new BootstrapError(`The views of ${building._id} were still not built after ${round} waits.`)
  }
}

/** Deletes the temporary copy; one a racing run deleted already is fine. */
export async function removeTemporary (context: StepContext, at: (id: string) => DocumentAt, id: string): Promise<void> {
  const where = at(temporaryId(id))
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await context.couch.request('GET', where.path, { auth: adminCredentials(context) })
    if (current.status === 404) return
    const rev = (current.body as { _rev?: string } | undefined)?._rev
    if (current.status !== 200 || rev === undefined) throw new BootstrapError(`Reading ${where.what} failed (${describeResponse(current)}).`)
    const deleted = await context.couch.request('DELETE', `${where.path}?rev=${encodeURIComponent(rev)}`, { auth: adminCredentials(context) })
    if (deleted.status === 200 || deleted.status === 202 || deleted.status === 404) return
    if (deleted.status !== 409) throw new BootstrapError(`Deleting ${where.what} failed (${describeResponse(deleted)}).`)
  }
}

async function progress (context: StepContext, id: string): Promise<string> {
  const tasks = await context.couch.request('GET', '/_active_tasks', { auth: adminCredentials(context) })
  if (tasks.status !== 200 || !Array.isArray(tasks.body)) return 'progress unknown'
  const database = context.settings.database
  const mine = (tasks.body as Array<Record<string, unknown>>).filter((task) =>
    task.type === 'indexer' && task.design_document === id && typeof task.database === 'string' && (task.database === database || task.database.endsWith(`/${database}`) || task.database.includes(`/${database}.`)))
  if (mine.length === 0) return 'waiting for the indexer'
  const percent = mine.reduce((sum, task) => sum + (typeof task.progress === 'number' ? task.progress : 0), 0) / mine.length
  return `${Math.round(percent)} % (${mine.length} shard indexer(s))`
}
