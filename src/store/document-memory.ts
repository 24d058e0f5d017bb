// What a replica remembers of the zerglings it wrote or read last, so that a command on one of
// them is one CouchDB round trip (a PUT on the remembered revision) instead of two (GET, PUT).
// Only ever a starting point for a write, never an answer: a write on a revision that another
// replica has moved on from gets 409, and then the zergling is read afresh (command-flush.ts).
// So the memory may be stale, but it must never hold what CouchDB did not say:
// - it is filled by writes CouchDB acknowledged with a quorum of copies (201, not 202: a 202 may
//   be on a branch a cluster will hold as a conflict) and by reads that found no conflict;
// - every failure whose outcome is unknown (a timeout, a cut answer) takes the zergling out.
// Bounded by count and by an estimate of bytes, least recently used out first (lru-cache).
import { LRUCache } from 'lru-cache'
import { revisionGeneration } from './revisions.js'
import type { ZerglingRecord } from './zergling-document.js'

export interface MemoryLimits {
  documents: number
  bytes: number
}

/**
 * 10 000 zerglings or 16 MB of the estimate below, whichever is reached first: with its 128
 * write marks (write-marks.ts) a record is estimated at 8–10 KB, so about 1 700 busy zerglings.
 */
export const DEFAULT_MEMORY_LIMITS: MemoryLimits = { documents: 10_000, bytes: 16 * 1024 * 1024 }

export interface DocumentMemory {
  recall (id: string): ZerglingRecord | undefined
  /** Keeps `record` unless a later revision of it is remembered already. */
  remember (record: ZerglingRecord): void
  forget (id: string): void
  readonly size: number
}

export function createDocumentMemory (limits: MemoryLimits = DEFAULT_MEMORY_LIMITS): DocumentMemory {
  const records = new LRUCache<string, ZerglingRecord>({ max: limits.documents, maxSize: limits.bytes, sizeCalculation: estimatedBytes })
  return {
    recall: (id) => records.get(id),
    remember (record) {
      const known = records.peek(record.state.id)
      if (known !== undefined && revisionGeneration(known.rev) > revisionGeneration(record.rev)) return
      records.set(record.state.id, record)
    },
    forget (id) { records.delete(id) },
    get size () { return records.size }
  }
}

/** Two bytes a character (V8 strings may be), plus what each list entry and the object cost. */
function estimatedBytes (record: ZerglingRecord): number {
  const strings = record.recentCommands.length + record.rev.length +
    [...record.recentWrites, ...record.absorbed, ...record.mergeTombstones].reduce((sum, text) => sum + text.length + 16, 0)
  return 256 + 2 * strings + 160 * record.idempotency.length
}
