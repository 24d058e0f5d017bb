// Writing and deleting a zergling's history chunks: every full HISTORY_CHUNK_SIZE commands of
// its committed history move from the main document to an immutable chunk document.
import type { DocumentBackend } from './document-backend.js'
import { isStoreError, StoreError } from './store-error.js'
import { HISTORY_CHUNK_SIZE, historyChunkId, isHistoryChunk, type ZerglingRecord } from './zergling-document.js'

/** Writes the chunks that the committed tail has filled; a racing writer writes the same ones. */
export async function archiveFullChunks (backend: DocumentBackend, record: ZerglingRecord): Promise<number> {
  const full = Math.floor(record.recentCommands.length / HISTORY_CHUNK_SIZE)
  for (let i = 0; i < full; i++) {
    const index = record.archivedChunks + i
    const commands = record.recentCommands.slice(i * HISTORY_CHUNK_SIZE, (i + 1) * HISTORY_CHUNK_SIZE)
    const chunk = { _id: historyChunkId(record.state.id, index), zergling: record.state.id, index, commands }
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

/** Best effort: the zergling is already gone; a chunk left behind is never read or listed. */
export async function deleteChunks (backend: DocumentBackend, id: string, count: number): Promise<void> {
  if (count === 0) return
  try {
    const rows = await backend.allDocs({ startkey: historyChunkId(id, 0), endkey: historyChunkId(id, count - 1), limit: count })
    for (const row of rows) {
      const rev = (row.doc as { _rev?: string } | undefined)?._rev
      if (rev !== undefined) await backend.deleteDocument(row.id, rev)
    }
  } catch {}
}
