// The behaviour both stores share, written once: what a zergling document is, read-modify-write
// with the conflict loop, paging over `_all_docs`. An adapter (CouchDB through nano, embedded
// PouchDB) only moves documents and translates its errors into StoreError kinds.
import type { Zergling } from '../domain/zergling.js'
import { decodeCursor, encodeCursor } from './list-cursor.js'
import { DEFAULT_RETRY_POLICY, retryOnConflict, type RetryHooks, type RetryPolicy } from './retry-on-conflict.js'
import { isStoreError, StoreError } from './store-error.js'
import { fromDocument, isZerglingDocument, toDocument, type ZerglingDocument } from './zergling-document.js'
import type { BrainStatus, ListOptions, StoredZergling, ZerglingPage, ZerglingStore } from './zergling-store.js'

export interface AllDocsRow { id: string, doc?: unknown }

/** Raw document access with CouchDB semantics; every failure is already a StoreError. */
export interface DocumentBackend {
  readonly kind: ZerglingStore['kind']
  /** The document, or StoreError `not_found` (unknown or deleted). */
  getDocument (id: string): Promise<unknown>
  /** Creates (no `_rev`) or updates (`_rev`); StoreError `conflict` on a 409. Returns the new rev. */
  putDocument (doc: ZerglingDocument): Promise<string>
  /** Writes the tombstone; StoreError `conflict` when `rev` is no longer current. */
  deleteDocument (id: string, rev: string): Promise<void>
  /** `_all_docs?include_docs=true`, from `startkey` (inclusive, absent = the start), `limit` rows. */
  allDocs (startkey: string | undefined, limit: number): Promise<AllDocsRow[]>
  check (): Promise<BrainStatus>
  close (): Promise<void>
}

export interface DocumentStoreOptions {
  retry?: RetryPolicy
  retryHooks?: RetryHooks
}

export function createDocumentStore (backend: DocumentBackend, options: DocumentStoreOptions = {}): ZerglingStore {
  const policy = options.retry ?? DEFAULT_RETRY_POLICY

  async function read (id: string): Promise<StoredZergling> {
    const doc = await backend.getDocument(id)
    if (!isZerglingDocument(doc)) throw notFound()
    return fromDocument(doc)
  }

  return {
    kind: backend.kind,

    async create (zergling) {
      try {
        const rev = await backend.putDocument(toDocument(zergling))
        return { ...zergling, rev }
      } catch (error) {
        // Ids are fresh UUIDs, so this is a bug guard, not a race to retry.
        if (isStoreError(error, 'conflict')) {
          throw new StoreError('conflict', 'A zergling with this id already exists; nothing was stored.')
        }
        throw error
      }
    },

    get: read,

    async list (options) {
      return await listPage(backend, options)
    },

    async update (id, change) {
      return await retryOnConflict(async () => {
        const { rev, ...current } = await read(id)
        const next: Zergling = change(current)
        const newRev = await backend.putDocument(toDocument({ ...next, id }, rev))
        return { ...next, id, rev: newRev }
      }, policy, options.retryHooks)
    },

    async remove (id) {
      return await retryOnConflict(async () => {
        const last = await read(id)
        await backend.deleteDocument(id, last.rev)
        return last
      }, policy, options.retryHooks)
    },

    check: async () => await backend.check(),
    close: async () => await backend.close()
  }
}

/**
 * One page in id order. Rows that are not zerglings (`_design/*` sorts between digits and
 * letters in CouchDB's order; any non-UUID id) are skipped, and when that leaves the page short
 * the next batch is fetched from where this one ended: memory stays at one batch whatever the
 * database holds.
 */
async function listPage (backend: DocumentBackend, { limit, cursor }: ListOptions): Promise<ZerglingPage> {
  // Rows come from `after` on, inclusive (`startkey`); it is dropped if it is still there.
  let after = cursor === undefined ? undefined : decodeCursor(cursor)
  const zerglings: StoredZergling[] = []
  for (;;) {
    // What is missing, one more to see whether a next page exists, one for `after` itself.
    const want = limit - zerglings.length + 1 + (after === undefined ? 0 : 1)
    const rows = await backend.allDocs(after, want)
    for (const row of rows) {
      if (row.id === after || !isZerglingDocument(row.doc)) continue
      if (zerglings.length === limit) {
        return { zerglings, next: encodeCursor(zerglings[limit - 1]!.id) }
      }
      zerglings.push(fromDocument(row.doc))
    }
    if (rows.length < want) return { zerglings }
    after = rows[rows.length - 1]!.id
  }
}

function notFound (): StoreError {
  return new StoreError('not_found', 'There is no zergling with this id.')
}
