// Reads a slice of a zergling's history: whole chunks from the chunk documents (`_all_docs` over
// their id range, history-chunks.ts), the rest from the main document's tail.
import type { Command } from '../domain/zergling.js'
import type { DocumentBackend } from './document-backend.js'
import { chunkKeyRange, chunkVariant, pickVariant, type ChunkVariant } from './history-chunks.js'
import { ancestry } from './revisions.js'
import { StoreError } from './store-error.js'
import { HISTORY_CHUNK_SIZE, type ZerglingRecord } from './zergling-document.js'

/**
 * Commands `from .. to` when they are all in the main document's tail (no chunk to read, as for
 * every history shorter than a chunk), else undefined. Synchronous: a GET's answer needs no
 * more turns of the event loop than its read (bench/NOTES.md, "Lean GET").
 */
export function tailHistory (record: Pick<ZerglingRecord, 'recentCommands' | 'archivedChunks'>, from: number, to: number): Command[] | undefined {
  const archivedLength = record.archivedChunks * HISTORY_CHUNK_SIZE
  if (to <= from) return []
  if (from < archivedLength) return undefined
  // Every command is one ASCII letter: split('') is what [...text] gives, without the iterator.
  return record.recentCommands.slice(from - archivedLength, to - archivedLength).split('') as Command[]
}

/** Commands `from .. to` (end exclusive) of the history `record` describes. */
export async function readHistory (backend: DocumentBackend, record: Omit<ZerglingRecord, 'rev'> & { rev: string }, from: number, to: number): Promise<Command[]> {
  const tail = tailHistory(record, from, to)
  if (tail !== undefined) return tail
  const archivedLength = record.archivedChunks * HISTORY_CHUNK_SIZE
  let text = ''
  if (from < archivedLength) {
    const first = Math.floor(from / HISTORY_CHUNK_SIZE)
    const last = Math.floor((Math.min(to, archivedLength) - 1) / HISTORY_CHUNK_SIZE)
    const archived = (await readChunks(backend, record, first, last)).join('')
    text += archived.slice(from - first * HISTORY_CHUNK_SIZE, Math.min(to, archivedLength) - first * HISTORY_CHUNK_SIZE)
  }
  if (to > archivedLength) {
    text += record.recentCommands.slice(Math.max(0, from - archivedLength), to - archivedLength)
  }
  return text.split('') as Command[]
}

/** Every chunk of `zerglingId` with an index in `first..last`, all variants, in id order. */
export async function readChunkVariants (backend: DocumentBackend, zerglingId: string, first?: number, last?: number): Promise<ChunkVariant[]> {
  const { startkey, endkey } = chunkKeyRange(zerglingId, first, last)
  // Usually one variant per index; more after a conflict or an earlier life of the id.
  const pageSize = first === undefined || last === undefined ? 100 : last - first + 9
  const variants: ChunkVariant[] = []
  let after: string | undefined
  for (;;) {
    const rows = await backend.allDocs({ startkey: after ?? startkey, endkey, limit: pageSize + (after === undefined ? 0 : 1) })
    for (const row of rows) {
      const variant = row.id === after ? undefined : chunkVariant(zerglingId, row)
      if (variant !== undefined) variants.push(variant)
    }
    if (rows.length < pageSize + (after === undefined ? 0 : 1)) return variants
    after = rows[rows.length - 1]!.id
  }
}

/** The commands of chunks `first..last` of the history at `record.rev`. */
async function readChunks (backend: DocumentBackend, record: { state: { id: string }, rev: string }, first: number, last: number): Promise<string[]> {
  const byIndex = new Map<number, ChunkVariant[]>()
  for (const variant of await readChunkVariants(backend, record.state.id, first, last)) {
    byIndex.set(variant.index, [...(byIndex.get(variant.index) ?? []), variant])
  }
  let path = new Set<string>()
  if ([...byIndex.values()].some((variants) => variants.length > 1)) {
    // Only then is the revision's path needed (an extra read: rare, `_revisions` is long).
    path = new Set(ancestry(await backend.getDocument(record.state.id, { rev: record.rev, revs: true })))
  }
  const commands: string[] = []
  for (let index = first; index <= last; index++) {
    const chosen = pickVariant(byIndex.get(index) ?? [], path)
    if (chosen === undefined) throw new StoreError('unavailable', 'Part of this zergling\'s history could not be read; try again.')
    commands.push(chosen.commands)
  }
  return commands
}
