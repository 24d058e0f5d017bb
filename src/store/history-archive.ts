// Writing and deleting a zergling's history chunks (history-chunks.ts): full HISTORY_CHUNK_SIZE
// commands of its committed history move from the main document to an immutable chunk document,
// cut from the committed revision, all but the newest full one (chunksToCut).
import type { DocumentBackend } from './document-backend.js'
import { historyChunkId, isHistoryChunk, type ChunkVariant } from './history-chunks.js'
import { readChunkVariants } from './history-reader.js'
import { revisionGeneration } from './revisions.js'
import { isStoreError, StoreError } from './store-error.js'
import { HISTORY_CHUNK_SIZE, type ZerglingRecord } from './zergling-document.js'

/**
 * How many chunks a committed tail of `length` commands moves out: every full one but the
 * newest, so that once a history is that long its main document always holds the newest
 * HISTORY_CHUNK_SIZE commands — what a default answer carries (DEFAULT_HISTORY_COMMANDS,
 * src/http/schemas.ts) — and a command or GET with the default parameters reads no chunk. When
 * the tail was cut to nothing, the 1000 commands after each cut each paid a chunk read (CouchDB
 * p99 at 100 000 vs 1 command: up to 3×).
 */
export function chunksToCut (length: number): number {
  return Math.max(0, Math.floor(length / HISTORY_CHUNK_SIZE) - 1)
}

/** Writes the chunks the committed tail gives up (chunksToCut); a racing writer writes the same ones. */
export async function archiveFullChunks (backend: Pick<DocumentBackend, 'getDocument' | 'putDocument'>, record: ZerglingRecord): Promise<number> {
  const full = chunksToCut(record.recentCommands.length)
  for (let i = 0; i < full; i++) {
    const index = record.archivedChunks + i
    const commands = record.recentCommands.slice(i * HISTORY_CHUNK_SIZE, (i + 1) * HISTORY_CHUNK_SIZE)
    const chunk = { _id: historyChunkId(record.state.id, index, record.rev), zergling: record.state.id, index, commands }
    try {
      await backend.putDocument(chunk)
    } catch (error) {
      if (!isStoreError(error, 'conflict')) throw error
      // Committed history never changes, so an existing chunk must hold the same commands.
      const existing = await backend.getDocument(chunk._id)
      if (!isHistoryChunk(existing) || existing.commands !== commands) {
        throw new StoreError('unavailable', 'A stored history chunk disagrees with the zergling\'s document; nothing was applied.')
      }
    }
  }
  return full
}

/**
 * Best effort, and safe to repeat (a later remove or keyed spawn of the id picks up what a crash
 * left): deletes the chunks of `id` that `doomed` picks. A chunk left behind is never read or
 * listed, and no later life of the id can collide with it.
 */
export async function deleteChunks (backend: DocumentBackend, id: string, doomed: (chunk: ChunkVariant) => boolean, first?: number): Promise<void> {
  try {
    for (const chunk of await readChunkVariants(backend, id, first)) {
      if (!doomed(chunk)) continue
      await backend.deleteDocument(chunk.id, chunk.rev).catch((error: unknown) => { if (!isStoreError(error, 'conflict') && !isStoreError(error, 'not_found')) throw error })
    }
  } catch {}
}

/** Chunks of lives of the id before the one that began at `generation` (and old-format ids). */
export function cutBefore (generation: number): (chunk: ChunkVariant) => boolean {
  return (chunk) => chunk.cutFrom === undefined || revisionGeneration(chunk.cutFrom) < generation
}
