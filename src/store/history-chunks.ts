// History chunk documents: each full HISTORY_CHUNK_SIZE commands of a zergling's committed
// history, immutable once written.
//
//   {_id: "history:<uuid>:00000003:<rev>", zergling: <uuid>, index: 3, commands: "MMLR…"}
//
// `<rev>` is the revision of the main document the chunk was cut from. Two branches of a
// conflicted zergling (a partitioned cluster) that both filled chunk 3 cut it from different
// revisions, and so do two lives of one id (a keyed spawn after a delete): their chunks never
// share an id, so none can overwrite or block another. Writers racing on one branch cut from the
// same committed revision: same id, same commands. Ids without `:<rev>` were written before
// this existed and still read. Every chunk id sorts after every UUID ('h' > 'f').
import { revisionGeneration } from './revisions.js'

export interface HistoryChunkDocument {
  _id: string
  _rev?: string
  zergling: string
  index: number
  commands: string
}

/** One chunk found in the database, and the revision it was cut from (absent: the old id format). */
export interface ChunkVariant { id: string, rev: string, index: number, cutFrom?: string, commands: string }

const COMMANDS = /^[LRM]*$/

export function historyChunkId (zerglingId: string, index: number, cutFrom: string): string {
  return `${chunkPrefix(zerglingId)}${String(index).padStart(8, '0')}:${cutFrom}`
}

/** Every chunk id of `zerglingId`, old format included, for indexes `first..last`. */
export function chunkKeyRange (zerglingId: string, first = 0, last = 99_999_999): { startkey: string, endkey: string } {
  return { startkey: `${chunkPrefix(zerglingId)}${String(first).padStart(8, '0')}`, endkey: `${chunkPrefix(zerglingId)}${String(last).padStart(8, '0')}:\ufff0` }
}

export function isHistoryChunk (doc: unknown): doc is HistoryChunkDocument {
  if (typeof doc !== 'object' || doc === null) return false
  const candidate = doc as Record<string, unknown>
  return typeof candidate.commands === 'string' && COMMANDS.test(candidate.commands) && typeof candidate.index === 'number'
}

/** A row of `_all_docs` as a chunk of `zerglingId`, or undefined when it is none. */
export function chunkVariant (zerglingId: string, row: { id: string, doc?: unknown }): ChunkVariant | undefined {
  const match = /^(\d{8})(?::(\d+-[0-9a-zA-Z]+))?$/.exec(row.id.slice(chunkPrefix(zerglingId).length))
  if (!row.id.startsWith(chunkPrefix(zerglingId)) || match === null || !isHistoryChunk(row.doc)) return undefined
  const index = Number(match[1])
  if (row.doc.index !== index || typeof row.doc._rev !== 'string') return undefined
  return { id: row.id, rev: row.doc._rev, index, cutFrom: match[2], commands: row.doc.commands }
}

/**
 * The variant of one index that belongs to the history read: cut from a revision on the main
 * document's own path (`ancestry`, from `_revisions`) — the newest such, since a later life of
 * the id descends from the earlier one's tombstone — else the highest generation, else the old
 * id format. Limit: `_revisions` keeps the last 1000 revisions, so for a chunk cut longer ago a
 * variant left by a losing branch could win on generation alone; a merge deletes its losers'
 * chunks (conflict-merge.ts) so that none is left to.
 */
export function pickVariant (variants: readonly ChunkVariant[], ancestry: ReadonlySet<string>): ChunkVariant | undefined {
  const rank = (variant: ChunkVariant): number => variant.cutFrom === undefined
    ? -1
    : revisionGeneration(variant.cutFrom) + (ancestry.has(variant.cutFrom) ? Number.MAX_SAFE_INTEGER / 2 : 0)
  return [...variants].sort((a, b) => rank(b) - rank(a) || (a.id < b.id ? 1 : -1))[0]
}

function chunkPrefix (zerglingId: string): string {
  return `history:${zerglingId}:`
}
