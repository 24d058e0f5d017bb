// `design-docs`: deploy src/store/design-docs.ts. A design doc is written only when its content
// (ignoring `_rev`) differs from what is stored, so restarts do not create revisions or rebuild
// indexes. A 409 (another bootstrap wrote it meanwhile) is answered by re-reading and comparing.
// https://docs.couchdb.org/en/stable/api/ddoc/common.html#put--db-_design-ddoc
import { isDeepStrictEqual } from 'node:util'
import { DESIGN_DOCUMENTS, type DesignDocument } from '../../store/design-docs.js'
import { describeResponse } from '../couch-client.js'
import { adminCredentials } from '../session.js'
import { BootstrapError, type Step, type StepContext } from '../types.js'

type Stored = Record<string, unknown> | undefined

/** Same content, `_rev` aside (key order does not matter). */
export function sameDesignDocument (stored: Stored, wanted: DesignDocument): boolean {
  if (stored === undefined) return false
  const { _rev: _ignored, ...content } = stored
  return isDeepStrictEqual(JSON.parse(JSON.stringify(content)), JSON.parse(JSON.stringify(wanted)))
}

export function designDocsStep (documents: readonly DesignDocument[] = DESIGN_DOCUMENTS): Step {
  return {
    name: 'design-docs',
    describe: 'deploy the design documents, writing only those whose content changed',
    async check (context) {
      const stale: DesignDocument[] = []
      let missing = 0
      for (const wanted of documents) {
        const stored = await readDesignDocument(context, wanted._id)
        if (stored === undefined) missing++
        if (!sameDesignDocument(stored, wanted)) stale.push(wanted)
      }
      const ids = stale.map((doc) => doc._id).join(', ')
      if (stale.length === 0) return { status: 'unchanged', message: `${documents.length} design document(s) up to date.` }
      return {
        status: missing === stale.length ? 'created' : 'updated',
        plan: `would write ${ids}.`,
        apply: async () => {
          let written = 0
          for (const wanted of stale) if (await writeDesignDocument(context, wanted)) written++
          if (written === 0) return { status: 'unchanged', message: `${ids} written meanwhile by another bootstrap, same content.` }
          return { status: missing === stale.length ? 'created' : 'updated', message: `wrote ${written} design document(s): ${ids}.` }
        }
      }
    }
  }
}

async function readDesignDocument (context: StepContext, id: string): Promise<Stored> {
  const response = await context.couch.request('GET', designPath(context, id), { auth: adminCredentials(context) })
  // 404 also when the database itself is missing (a dry run before `database`).
  if (response.status === 404) return undefined
  if (response.status !== 200) throw new BootstrapError(`Reading ${id} failed (${describeResponse(response)}).`)
  return response.body as Record<string, unknown>
}

/** True when this call wrote; false when the stored content already matched after a race. */
async function writeDesignDocument (context: StepContext, wanted: DesignDocument): Promise<boolean> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const stored = await readDesignDocument(context, wanted._id)
    if (sameDesignDocument(stored, wanted)) return false
    const body = stored === undefined ? wanted : { ...wanted, _rev: stored._rev }
    const response = await context.couch.request('PUT', designPath(context, wanted._id), { auth: adminCredentials(context), body })
    if (response.status === 201 || response.status === 202) return true
    if (response.status !== 409) throw new BootstrapError(`Writing ${wanted._id} failed (${describeResponse(response)}).`)
  }
  throw new BootstrapError(`${wanted._id} kept changing under this bootstrap (5 attempts lost the race).`)
}

function designPath (context: StepContext, id: string): string {
  // `_design/name`: the slash stays a slash, the name is encoded.
  return `/${encodeURIComponent(context.settings.database)}/_design/${encodeURIComponent(id.slice('_design/'.length))}`
}
