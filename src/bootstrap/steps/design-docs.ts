// `design-docs`: deploy src/store/design-docs.ts. A design doc is written only when its content
// (ignoring `_rev`) differs from what is stored, so restarts do not create revisions or rebuild
// indexes. A 409 (another bootstrap wrote it meanwhile) is answered by re-reading and comparing.
// Racing runs of one version write the same content, hence the same revision (CouchDB derives it
// from the body), and cannot conflict; runs of two versions during a rollout can, on a cluster
// (document-conflicts.ts): a conflicted design doc is settled to one leaf with the wanted content.
// A design document that changes (not one created) has its new views built under a temporary
// id first (index-build.ts), so that no query waits for its index to be rebuilt.
// https://docs.couchdb.org/en/stable/api/ddoc/common.html#put--db-_design-ddoc
import { isDeepStrictEqual } from 'node:util'
import { DESIGN_DOCUMENTS, type DesignDocument } from '../../store/design-docs.js'
import { conflictsOf, ensureDocument, readDocument, revisions, type DocumentAt } from '../document-conflicts.js'
import { buildUnderTemporaryId, removeTemporary } from '../index-build.js'
import type { Step, StepContext } from '../types.js'

type Stored = Record<string, unknown> | undefined

/** Same content, `_rev` (and `_conflicts`) aside (key order does not matter). */
export function sameDesignDocument (stored: Stored, wanted: DesignDocument): boolean {
  if (stored === undefined) return false
  const { _rev: _ignored, _conflicts: _leaves, ...content } = stored
  return isDeepStrictEqual(JSON.parse(JSON.stringify(content)), JSON.parse(JSON.stringify(wanted)))
}

export function designDocsStep (documents: readonly DesignDocument[] = DESIGN_DOCUMENTS): Step<'design-docs'> {
  return {
    name: 'design-docs',
    describe: 'deploy the design documents, writing only those whose content changed',
    async check (context) {
      const stale: DesignDocument[] = []
      /** Stored with other content: their views are built aside before the swap. */
      const changed = new Set<string>()
      const changes: string[] = []
      let missing = 0
      for (const wanted of documents) {
        const stored = await readDocument(context, designAt(context, wanted._id))
        const conflicts = conflictsOf(stored).length
        if (stored === undefined) missing++
        if (conflicts > 0) changes.push(`remove ${revisions(conflicts)} of ${wanted._id}`)
        if (!sameDesignDocument(stored, wanted)) changes.push(`write ${wanted._id}`)
        if (stored !== undefined && !sameDesignDocument(stored, wanted)) changed.add(wanted._id)
        if (conflicts > 0 || !sameDesignDocument(stored, wanted)) stale.push(wanted)
      }
      const ids = stale.map((doc) => doc._id).join(', ')
      if (stale.length === 0) return { status: 'unchanged', message: `${documents.length} design document(s) up to date.` }
      const status = missing === stale.length ? 'created' : 'updated'
      return {
        status,
        plan: `would ${changes.join(' and ')}.`,
        apply: async () => {
          const done: string[] = []
          const written: string[] = []
          for (const wanted of stale) {
            const same = async (doc: Stored): Promise<boolean> => sameDesignDocument(doc, wanted)
            const body = (current: Stored): Record<string, unknown> => ({ ...wanted, ...(current === undefined ? {} : { _rev: current._rev }) })
            const at = (id: string): DocumentAt => designAt(context, id)
            if (changed.has(wanted._id)) await buildUnderTemporaryId(context, at, wanted, sameDesignDocument)
            const result = await ensureDocument(context, at(wanted._id), { done: same, keep: same, body })
            if (changed.has(wanted._id)) await removeTemporary(context, at, wanted._id)
            if (result.wrote !== undefined) written.push(wanted._id)
            if (result.removed > 0) done.push(`removed ${revisions(result.removed)} of ${wanted._id} left by racing writes`)
          }
          if (written.length > 0) done.unshift(`wrote ${written.length} design document(s): ${written.join(', ')}`)
          if (done.length === 0) return { status: 'unchanged', message: `${ids} written or repaired meanwhile by another bootstrap, same content.` }
          return { status: written.length > 0 ? status : 'updated', message: `${done.join('; ')}.` }
        }
      }
    }
  }
}

function designAt (context: StepContext, id: string): DocumentAt {
  // `_design/name`: the slash stays a slash, the name is encoded.
  return { path: `/${encodeURIComponent(context.settings.database)}/_design/${encodeURIComponent(id.slice('_design/'.length))}`, what: id }
}
