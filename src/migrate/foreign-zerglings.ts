// Does the target hold zerglings that are not the source's? Every zergling revision in the target
// is asked of the source (`revsDiff`): one the source lacks was written somewhere else — another
// store's zergling, or one moved on the target after an earlier migration. A rerun of the same
// migration finds none (its revisions all came from the source), so it may go on — unless a
// zergling moved more than the embedded store's REVISIONS_KEPT times since: the revision the
// target holds was stemmed from the source's path, and the source no longer knows it.
// https://docs.couchdb.org/en/stable/api/database/misc.html#post--db-_revs_diff
import { isZerglingId } from '../domain/zergling-id.js'
import type { Pouch } from '../transfer/endpoints.js'

const PAGE = 1000
/** UUIDs start with 0-9 or a-f; history chunks ("history:…") and design docs sort elsewhere. */
const ZERGLING_RANGE = { startkey: '0', endkey: 'g' }

export interface ForeignZerglings { count: number, examples: string[] }

export async function findForeignZerglings (source: Pouch, target: Pouch): Promise<ForeignZerglings> {
  const found: ForeignZerglings = { count: 0, examples: [] }
  let startkey = ZERGLING_RANGE.startkey
  let skip = 0
  for (;;) {
    const { rows } = await target.allDocs({ startkey, endkey: ZERGLING_RANGE.endkey, limit: PAGE, skip })
    const revisions = Object.fromEntries(rows.filter((row) => isZerglingId(row.id)).map((row) => [row.id, [row.value.rev]]))
    const missing = Object.keys(await source.revsDiff(revisions))
    found.count += missing.length
    found.examples.push(...missing.slice(0, 3 - found.examples.length))
    if (rows.length < PAGE) return found
    startkey = rows[rows.length - 1]!.id
    skip = 1
  }
}
