// The sorted ids of a database, for `_all_docs` offsets: CouchDB reads an offset from its b-tree,
// so counting rows each time would make paging a large database cost O(n) per page here. The
// index is built once and then caught up from the changes feed since the sequence it reflects
// (only what changed since: a write costs the next page one short read, not a rebuild — with a
// rebuild after every write, a page after a write cost ~100 ms per 5000 documents, which hid
// the latency model's `_all_docs` costs in the bench). Calls are chained, so concurrent pages
// share one catch-up.
import type { Database } from './database-registry.js'

interface IdIndex { seq: number, ids: string[] }

const indexes = new WeakMap<Database, Promise<IdIndex>>()

/** Every id of `db` (design documents included, deleted ones not), in PouchDB's order. */
export async function sortedIds (db: Database): Promise<readonly string[]> {
  const seq = Number((await db.pouch.info()).update_seq)
  const previous = indexes.get(db)
  const next = (async (): Promise<IdIndex> => {
    const index = previous === undefined ? await build(db) : await previous.catch(async () => await build(db))
    return index.seq >= seq ? index : await catchUp(db, index)
  })()
  indexes.set(db, next)
  return (await next).ids
}

/** The index of the first id that is not before `key`. */
export function lowerBound (ids: readonly string[], key: string): number {
  let low = 0
  let high = ids.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (ids[middle]! < key) low = middle + 1
    else high = middle
  }
  return low
}

async function build (db: Database): Promise<IdIndex> {
  // The sequence first: a write between the two reads is then applied again by the next catch-up, which is harmless.
  const seq = Number((await db.pouch.info()).update_seq)
  const ids = (await db.pouch.allDocs()).rows.map((row) => row.id)
  return { seq, ids }
}

async function catchUp (db: Database, index: IdIndex): Promise<IdIndex> {
  const { results, last_seq: last } = await db.pouch.changes({ since: index.seq })
  const deleted = new Set<string>()
  const added = new Set<string>()
  for (const { id, deleted: gone } of results) {
    if (gone === true) {
      deleted.add(id)
      added.delete(id)
    } else {
      added.add(id)
      deleted.delete(id)
    }
  }
  // One merge of two sorted lists, not a splice per change: after 100 000 bulk-loaded documents
  // a splice each made the first page after them cost 1.5 s (quadratic).
  const fresh = [...added].filter((id) => !hasId(index.ids, id)).sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
  const ids: string[] = []
  let i = 0
  for (const id of fresh) {
    while (i < index.ids.length && index.ids[i]! < id) pushUnlessDeleted(ids, index.ids[i++]!, deleted)
    ids.push(id)
  }
  while (i < index.ids.length) pushUnlessDeleted(ids, index.ids[i++]!, deleted)
  return { seq: Number(last), ids }
}

function hasId (ids: readonly string[], id: string): boolean {
  return ids[lowerBound(ids, id)] === id
}

function pushUnlessDeleted (ids: string[], id: string, deleted: ReadonlySet<string>): void {
  if (!deleted.has(id)) ids.push(id)
}
