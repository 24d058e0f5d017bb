// Reads a slice of a zergling's history: whole chunks from the chunk documents (one
// `_all_docs` range request), the rest from the main document's tail.
import type { Command } from '../domain/zergling.js'
import type { DocumentBackend } from './document-backend.js'
import { StoreError } from './store-error.js'
import { HISTORY_CHUNK_SIZE, historyChunkId, isHistoryChunk, type ZerglingRecord } from './zergling-document.js'

/** Commands `from .. to` (end exclusive) of the history `record` describes. */
export async function readHistory (backend: DocumentBackend, record: Omit<ZerglingRecord, 'rev'>, from: number, to: number): Promise<Command[]> {
  if (to <= from) return []
  const archivedLength = record.archivedChunks * HISTORY_CHUNK_SIZE
  let text = ''
  if (from < archivedLength) {
    const first = Math.floor(from / HISTORY_CHUNK_SIZE)
    const last = Math.floor((Math.min(to, archivedLength) - 1) / HISTORY_CHUNK_SIZE)
    const rows = await backend.allDocs({ startkey: historyChunkId(record.state.id, first), endkey: historyChunkId(record.state.id, last), limit: last - first + 1 })
    const chunks = rows.map((row) => row.doc)
    if (chunks.length !== last - first + 1 || !chunks.every((chunk, i) => isHistoryChunk(chunk) && chunk.index === first + i)) {
      throw new StoreError('unavailable', 'Part of this zergling\'s history could not be read; try again.')
    }
    const archived = chunks.map((chunk) => (chunk as { commands: string }).commands).join('')
    text += archived.slice(from - first * HISTORY_CHUNK_SIZE, Math.min(to, archivedLength) - first * HISTORY_CHUNK_SIZE)
  }
  if (to > archivedLength) {
    text += record.recentCommands.slice(Math.max(0, from - archivedLength), to - archivedLength)
  }
  return [...text] as Command[]
}
