// A small in-memory DocumentBackend with CouchDB's revision tree, for unit tests of the shared
// store logic: leaves, the winner CouchDB shows (live before deleted, then the highest
// generation, then the highest hash), `_conflicts` and `_deleted_conflicts`, `?rev=`, `_revisions`, and `new_edits=false`
// imports as replication writes them. `intercept` scripts faults around any call; `calls` counts.
// https://docs.couchdb.org/en/stable/replication/conflicts.html
import { randomBytes } from 'node:crypto'
import type { AllDocsRange, AllDocsRow, DocumentBackend, GetOptions } from '../../../src/store/document-backend.js'
import { revisionGeneration } from '../../../src/store/revisions.js'
import { StoreError } from '../../../src/store/store-error.js'

type Body = Record<string, unknown>
interface Revision { rev: string, parent: string | undefined, body: Body | undefined, deleted: boolean }

export interface Call { op: 'get' | 'put' | 'delete' | 'allDocs', id?: string, doc?: Body, options?: GetOptions & Partial<AllDocsRange> & { rev?: string } }

export interface MemoryBackend extends DocumentBackend {
  calls: Call[]
  /** Runs around every call: `proceed` does the real work; throw before or after it to script a fault. */
  intercept?: (call: Call, proceed: () => Promise<unknown>) => Promise<unknown>
  /** Stores revisions as given, with their `_revisions` path (CouchDB's `new_edits: false`). */
  importRevisions (docs: Body[]): void
  /** What compaction does: the bodies of revisions that are no longer leaves are dropped. */
  compact (): void
  /** Every leaf of a document, winner first. */
  leaves (id: string): Array<{ rev: string, deleted: boolean, body: Body | undefined }>
}

export const lostAnswer = (): StoreError => new StoreError('unavailable', 'The answer was lost (scripted).', { ambiguous: true })

export function createMemoryBackend (): MemoryBackend {
  const trees = new Map<string, Map<string, Revision>>()

  function leavesOf (id: string): Revision[] {
    const tree = trees.get(id)
    if (tree === undefined) return []
    const parents = new Set([...tree.values()].map((revision) => revision.parent))
    return [...tree.values()].filter((revision) => !parents.has(revision.rev)).sort(byWinner)
  }

  function path (id: string, rev: string): string[] {
    const tree = trees.get(id)!
    const hashes: string[] = []
    for (let at: string | undefined = rev; at !== undefined; at = tree.get(at)?.parent) hashes.push(at.slice(at.indexOf('-') + 1))
    return hashes
  }

  function shown (id: string, revision: Revision, options: { revs?: boolean, conflicts?: boolean }): Body {
    const doc: Body = { ...revision.body, _id: id, _rev: revision.rev }
    if (revision.deleted) doc._deleted = true
    if (options.revs === true) doc._revisions = { start: revisionGeneration(revision.rev), ids: path(id, revision.rev) }
    const others = leavesOf(id).filter((leaf) => leaf.rev !== revision.rev)
    const live = others.filter((leaf) => !leaf.deleted).map((leaf) => leaf.rev)
    const deleted = others.filter((leaf) => leaf.deleted).map((leaf) => leaf.rev)
    if (options.conflicts === true && live.length > 0) doc._conflicts = live
    if (options.conflicts === true && deleted.length > 0) doc._deleted_conflicts = deleted
    return doc
  }

  function add (id: string, parent: string | undefined, body: Body): string {
    const tree = trees.get(id) ?? new Map<string, Revision>()
    trees.set(id, tree)
    const rev = `${parent === undefined ? 1 : revisionGeneration(parent) + 1}-${randomBytes(16).toString('hex')}`
    const { _id: _ignored, _rev: _parent, _deleted: deleted, ...rest } = body
    tree.set(rev, { rev, parent, body: rest, deleted: deleted === true })
    return rev
  }

  const operations = {
    get: async (id: string, options: { revs?: boolean, conflicts?: boolean, rev?: string }): Promise<Body> => {
      const leaves = leavesOf(id)
      if (options.rev !== undefined) {
        const revision = trees.get(id)?.get(options.rev)
        // CouchDB (and PouchDB) answer a revision whose body is gone, or never came here, `404 missing`.
        if (revision === undefined || (revision.body === undefined && !revision.deleted)) throw notFound()
        return shown(id, revision, options)
      }
      const winner = leaves[0]
      if (winner === undefined || winner.deleted) throw notFound()
      return shown(id, winner, options)
    },
    put: async (doc: Body): Promise<string> => {
      const id = String(doc._id)
      const winner = leavesOf(id)[0]
      const rev = doc._rev as string | undefined
      if (rev === undefined) {
        // A new document, or a new life on top of a deleted one (CouchDB extends the tombstone).
        if (winner !== undefined && !winner.deleted) throw conflict()
        return add(id, winner?.rev, doc)
      }
      if (!leavesOf(id).some((leaf) => leaf.rev === rev)) throw conflict()
      return add(id, rev, doc)
    },
    allDocs: async ({ startkey, endkey, limit, conflicts }: AllDocsRange): Promise<AllDocsRow[]> => {
      const ids = [...trees.keys()].filter((id) => (startkey === undefined || id >= startkey) && (endkey === undefined || id <= endkey)).sort()
      const rows: AllDocsRow[] = []
      for (const id of ids) {
        const winner = leavesOf(id)[0]
        if (winner === undefined || winner.deleted) continue
        if (rows.length === limit) break
        rows.push({ id, doc: shown(id, winner, { conflicts }) })
      }
      return rows
    }
  }

  const backend: MemoryBackend = {
    kind: 'embedded',
    calls: [],
    async getDocument (id, options = {}) {
      return await run({ op: 'get', id, options }, async () => structuredClone(await operations.get(id, options)))
    },
    async putDocument (doc) {
      return await run({ op: 'put', id: doc._id, doc: structuredClone(doc) }, async () => await operations.put(structuredClone(doc))) as string
    },
    async deleteDocument (id, rev) {
      await run({ op: 'delete', id, options: { rev } }, async () => await operations.put({ _id: id, _rev: rev, _deleted: true }))
    },
    async allDocs (range) {
      return await run({ op: 'allDocs', options: { ...range } }, async () => structuredClone(await operations.allDocs(range))) as AllDocsRow[]
    },
    check: async () => ({ ok: true }),
    close: async () => {},
    importRevisions (docs) {
      for (const doc of docs) {
        const id = String(doc._id)
        const { start, ids } = doc._revisions as { start: number, ids: string[] }
        const tree = trees.get(id) ?? new Map<string, Revision>()
        trees.set(id, tree)
        const { _id: _i, _rev: _r, _revisions: _p, _deleted: deleted, ...body } = doc
        for (let i = ids.length - 1; i >= 0; i--) {
          const rev = `${start - i}-${ids[i]!}`
          if (tree.has(rev)) continue
          const parent = i + 1 < ids.length ? `${start - i - 1}-${ids[i + 1]!}` : undefined
          tree.set(rev, { rev, parent, body: i === 0 ? body : undefined, deleted: i === 0 && deleted === true })
        }
      }
    },
    compact () {
      for (const id of trees.keys()) {
        const leaves = new Set(leavesOf(id).map((leaf) => leaf.rev))
        for (const revision of trees.get(id)!.values()) if (!leaves.has(revision.rev)) revision.body = undefined
      }
    },
    leaves (id) {
      return leavesOf(id).map(({ rev, deleted, body }) => ({ rev, deleted, body }))
    }
  }

  async function run (call: Call, proceed: () => Promise<unknown>): Promise<unknown> {
    backend.calls.push(call)
    return backend.intercept === undefined ? await proceed() : await backend.intercept(call, proceed)
  }
  return backend
}

/** CouchDB's winner: a live leaf before a deleted one, then the highest generation, then the highest hash. */
function byWinner (a: Revision, b: Revision): number {
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1
  const generations = revisionGeneration(b.rev) - revisionGeneration(a.rev)
  if (generations !== 0) return generations
  return a.rev < b.rev ? 1 : a.rev > b.rev ? -1 : 0
}

function notFound (): StoreError {
  return new StoreError('not_found', 'There is no zergling with this id.')
}

function conflict (): StoreError {
  return new StoreError('conflict', 'The zergling was changed by another writer.')
}
