// One page of `GET /zerglings/`, in id order over `_all_docs`; the cursor is cursors.ts's.
import type { DocumentBackend } from './document-backend.js'
import { decodeCursor, encodeCursor } from './cursors.js'
import { conflictsOf } from './revisions.js'
import { isStoreError } from './store-error.js'
import { fromDocument, historyLength, isZerglingDocument, type ZerglingRecord } from './zergling-document.js'
import type { ListOptions, StoredZergling, ZerglingPage } from './zergling-store.js'

/** UUIDs start with 0-9 or a-f: listing stops before the `history:` chunks. */
const LAST_ZERGLING_KEY = 'g'

/**
 * One page in id order. Rows that are not zerglings (`_design/*` sorts between digits and
 * letters in CouchDB's order; any non-UUID id) are skipped, and when that leaves the page short
 * the next batch is fetched from where this one ended: memory stays at one batch whatever the
 * database holds. A conflicted zergling (`conflicts=true`) is shown as `resolve` merges it, or
 * not at all when that finds it deleted on a branch.
 */
export async function listPage (backend: DocumentBackend, { limit, cursor }: ListOptions, resolve: (id: string) => Promise<ZerglingRecord>): Promise<ZerglingPage> {
  // Rows come from `after` on, inclusive (`startkey`); it is dropped if it is still there.
  let after = cursor === undefined ? undefined : decodeCursor(cursor)
  const zerglings: StoredZergling[] = []
  for (;;) {
    // What is missing, one more to see whether a next page exists, one for `after` itself.
    const want = limit - zerglings.length + 1 + (after === undefined ? 0 : 1)
    const rows = await backend.allDocs({ startkey: after, endkey: LAST_ZERGLING_KEY, limit: want, conflicts: true })
    for (const row of rows) {
      if (row.id === after || !isZerglingDocument(row.doc)) continue
      if (zerglings.length === limit) {
        return { zerglings, next: encodeCursor(zerglings[limit - 1]!.id) }
      }
      const record = conflictsOf(row.doc).length === 0 ? fromDocument(row.doc) : await resolve(row.id).catch(skipDeleted)
      if (record === undefined) continue
      zerglings.push({ ...record.state, rev: record.rev, historyLength: historyLength(record) })
    }
    if (rows.length < want) return { zerglings }
    after = rows[rows.length - 1]!.id
  }
}

function skipDeleted (error: unknown): undefined {
  if (isStoreError(error, 'not_found')) return undefined
  throw error
}
