// The behaviour both stores share, written once over a DocumentBackend (document-backend.ts):
// spawn, read, list, command (group commit, command-flush.ts) and remove; every read merges a
// conflicted zergling first (conflict-merge.ts). An adapter (CouchDB over HTTP, embedded
// PouchDB) only moves documents and translates its errors into StoreError kinds.
import { randomUUID } from 'node:crypto'
import { spawnZergling } from '../domain/zergling.js'
import { isZerglingId } from '../domain/zergling-id.js'
import { createBatcher } from './command-batcher.js'
import { createCommandFlush } from './command-flush.js'
import type { DocumentBackend } from './document-backend.js'
import type { DocumentMemory } from './document-memory.js'
import { startMemoryWatch, type MemoryWatch } from './memory-watch.js'
import { cutBefore, deleteChunks } from './history-archive.js'
import { readHistory } from './history-reader.js'
import { zerglingIdForKey } from './idempotency.js'
import { listPage } from './list-page.js'
import type { MergeHooks } from './conflict-merge.js'
import { confirmGone, confirmSpawn, findWrite, isAmbiguous, lifeStart, revisionOf } from './lost-answer.js'
import { revisionGeneration } from './revisions.js'
import { DEFAULT_RETRY_POLICY, retryOnConflict, type RetryHooks, type RetryPolicy } from './retry-on-conflict.js'
import { checkPinned, isStoreError, notFound, StoreError } from './store-error.js'
import { withMark, writeToken } from './write-marks.js'
import { historyLength, toDocument, type ZerglingRecord } from './zergling-document.js'
import { readZerglingChanges } from './zergling-changes.js'
import { readZergling, viewZergling } from './zergling-reads.js'
import type { CommandRequest, Outcome, StoredZergling, ZerglingStore } from './zergling-store.js'

export interface DocumentStoreOptions {
  retry?: RetryPolicy
  retryHooks?: RetryHooks
  /** Told about every merge of a conflicted zergling. */
  mergeHooks?: MergeHooks
  /**
   * What the store remembers of the zerglings it wrote or read last, so that a command starts
   * from it instead of a read (document-memory.ts); none: every command reads first.
   */
  memory?: DocumentMemory
  /**
   * Answer a GET from the memory while this replica's reading of the changes feed vouches for it
   * (memory-watch.ts: `OVERMIND_READS=memory`); off: every GET reads from the store.
   */
  readsFromMemory?: boolean
  /** Tests wrap the adapter's backend to script faults (a crash between two writes of a delete). */
  wrapBackend?: (backend: DocumentBackend) => DocumentBackend
}

/** A batch carries at most this many commands, so a main document's tail stays small. */
const BATCH_COMMANDS = 1000

export function createDocumentStore (adapter: DocumentBackend, options: DocumentStoreOptions = {}): ZerglingStore {
  const backend = options.wrapBackend?.(adapter) ?? adapter
  const policy = options.retry ?? DEFAULT_RETRY_POLICY
  const retry = async <T>(attempt: () => Promise<T>): Promise<T> => await retryOnConflict(attempt, policy, options.retryHooks)
  const { memory } = options
  const remember = memory === undefined ? undefined : (record: ZerglingRecord): void => { memory.remember(record) }
  const watch: MemoryWatch | undefined = options.readsFromMemory === true && memory !== undefined ? startMemoryWatch(backend, memory) : undefined
  const read = async (id: string): Promise<ZerglingRecord> => {
    const marker = watch?.readStarted() ?? -1
    try {
      const record = await readZergling(backend, id, options.mergeHooks, remember, memory?.recall(id))
      watch?.readDone(id, record.rev, marker)
      return record
    } catch (error) {
      memory?.forget(id)
      throw error
    }
  }

  // A request pinned to a revision (If-Match) goes in a batch of its own: in a batch with others
  // it would be applied after theirs, on a state its client never saw.
  const pinned = (pending: { request: CommandRequest }): boolean => pending.request.ifMatch !== undefined
  const batcher = createBatcher<CommandRequest, Outcome<StoredZergling>>(createCommandFlush(backend, retry, read, memory), (waiting) => {
    if (pinned(waiting[0]!)) return 1
    let count = 0
    let commands = 0
    while (count < waiting.length && !pinned(waiting[count]!) && commands + waiting[count]!.request.commands.length <= BATCH_COMMANDS) {
      commands += waiting[count]!.request.commands.length
      count++
    }
    return count
  })

  return {
    kind: backend.kind,

    async spawn ({ idempotencyKey } = {}) {
      const id = idempotencyKey === undefined ? randomUUID() : zerglingIdForKey(idempotencyKey)
      const token = writeToken()
      // Its mark at length 0 tells later writes which generation this life began at (`born`).
      // Where and how it starts is the domain's rule (spawnZergling); the rest is bookkeeping.
      const { commandHistory, ...state } = spawnZergling(id)
      const record = { state, recentCommands: commandHistory.join(''), archivedChunks: 0, idempotency: [], recentWrites: withMark([], token, commandHistory.length), absorbed: [], mergeTombstones: [] }
      const spawned = (rev: string, replayed: boolean): Outcome<StoredZergling> => ({ result: { ...record.state, rev, historyLength: 0 }, replayed })
      const outcome = await retry(async () => {
        try {
          return spawned(await backend.putDocument(toDocument(record)), false)
        } catch (error) {
          if (isAmbiguous(error)) {
            // The answer was lost: our token in the document means the spawn was stored.
            const stored = await confirmSpawn(backend, id)
            if (findWrite(stored, (candidate) => candidate === token) !== undefined) return spawned(stored.rev, false)
          } else if (!isStoreError(error, 'conflict')) {
            throw error
          }
          if (idempotencyKey === undefined) {
            // Ids are fresh UUIDs, so this is a bug guard, not a race to retry.
            throw new StoreError('unavailable', 'A zergling with this id already exists; nothing was stored.')
          }
          const existing = await read(id)
          return spawned(await revisionOf(backend, id, lifeStart(existing) ?? 1, existing.rev), true)
        }
      })
      if (!outcome.replayed && backend.acceptedWithoutQuorum?.(outcome.result.rev) !== true) memory?.remember({ ...record, rev: outcome.result.rev })
      const first = revisionGeneration(outcome.result.rev)
      // A new life on an earlier one's tombstone (same key, same id): what a crash kept that
      // life's delete from removing goes now. Its chunk ids never collide with this life's.
      if (!outcome.replayed && first > 1) await deleteChunks(backend, id, cutBefore(first))
      return outcome
    },

    async get (id, history) {
      const record = watch?.vouched(id) ?? await retry(async () => await read(id))
      return await viewZergling(backend, record, record.rev, historyLength(record), record.state, history)
    },

    async list (listOptions) {
      return await listPage(backend, listOptions, async (id) => await retry(async () => await read(id)))
    },

    async history (id, { offset, limit }) {
      const record = await retry(async () => await read(id))
      const total = historyLength(record)
      return { commands: await readHistory(backend, record, Math.min(offset, total), Math.min(offset + limit, total)), total }
    },

    async command (id, request) {
      // Checked here too, so a request for a path-like id never waits in a batch.
      if (!isZerglingId(id)) throw notFound()
      return await batcher.submit(id, request)
    },

    async remove (id, history, { ifMatch } = {}) {
      memory?.forget(id)
      // Set once a delete's answer was lost: a later `not_found` then means it was stored.
      let unconfirmed: { zergling: StoredZergling, rev: string } | undefined
      const last = await retry(async () => {
        let record: ZerglingRecord
        try {
          record = await read(id)
        } catch (error) {
          if (unconfirmed !== undefined && isStoreError(error, 'not_found')) return unconfirmed
          throw error
        }
        // Checked on every attempt: the delete names this revision, so a retry deletes only
        // while the zergling is still at one the client named.
        checkPinned(ifMatch, record.rev)
        const zergling = await viewZergling(backend, record, record.rev, historyLength(record), record.state, history)
        try {
          await backend.deleteDocument(id, record.rev)
        } catch (error) {
          if (!isAmbiguous(error)) throw error
          unconfirmed = { zergling, rev: record.rev }
          await confirmGone(backend, id)
          return unconfirmed
        }
        return { zergling, rev: record.rev }
      })
      // Every chunk of this life was cut from a revision up to the deleted one; a later life's are newer.
      await deleteChunks(backend, id, cutBefore(revisionGeneration(last.rev) + 1))
      return last.zergling
    },

    changes: async (read) => await readZerglingChanges(backend, read),
    check: async () => await backend.check(),
    close: async () => {
      await watch?.stop()
      await backend.close()
    }
  }
}
