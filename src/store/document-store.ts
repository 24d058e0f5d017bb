// The behaviour both stores share, written once: zergling documents and their history chunks,
// group commit with the conflict loop, Idempotency-Key records, paging over `_all_docs`. An
// adapter (CouchDB through nano, embedded PouchDB) only moves documents and translates its
// errors into StoreError kinds.
import { randomUUID } from 'node:crypto'
import { move } from '../domain/command.js'
import type { Command } from '../domain/zergling.js'
import { createBatcher, type Pending } from './command-batcher.js'
import { readHistory } from './history-reader.js'
import { commandsDigest, findRecord, keepNewest, keyDigest, revisionGeneration, zerglingIdForKey } from './idempotency.js'
import { decodeCursor, encodeCursor } from './list-cursor.js'
import { DEFAULT_RETRY_POLICY, retryOnConflict, type RetryHooks, type RetryPolicy } from './retry-on-conflict.js'
import { isStoreError, StoreError } from './store-error.js'
import {
  fromDocument, HISTORY_CHUNK_SIZE, historyChunkId, historyLength, isHistoryChunk, isZerglingDocument, toDocument,
  type IdempotencyRecord, type ZerglingRecord
} from './zergling-document.js'
import type { CommandRequest, HistoryView, ListOptions, Outcome, StoredZergling, ZerglingPage, ZerglingStore, BrainStatus } from './zergling-store.js'

export interface AllDocsRow { id: string, doc?: unknown }

export interface AllDocsRange {
  /** Inclusive; absent = from the start. */
  startkey?: string
  /** Inclusive; absent = to the end. */
  endkey?: string
  limit: number
}

/** Raw document access with CouchDB semantics; every failure is already a StoreError. */
export interface DocumentBackend {
  readonly kind: ZerglingStore['kind']
  /** The document (with `_revisions` when `revs`), or StoreError `not_found` (unknown or deleted). */
  getDocument (id: string, options?: { revs?: boolean }): Promise<unknown>
  /** Creates (no `_rev`) or updates (`_rev`); StoreError `conflict` on a 409. Returns the new rev. */
  putDocument (doc: { _id: string, _rev?: string }): Promise<string>
  /** Writes the tombstone; StoreError `conflict` when `rev` is no longer current. */
  deleteDocument (id: string, rev: string): Promise<void>
  /** `_all_docs?include_docs=true` over a key range. */
  allDocs (range: AllDocsRange): Promise<AllDocsRow[]>
  check (): Promise<BrainStatus>
  close (): Promise<void>
}

export interface DocumentStoreOptions {
  retry?: RetryPolicy
  retryHooks?: RetryHooks
}

/** A batch carries at most this many commands, so a main document's tail stays small. */
const BATCH_COMMANDS = 1000

/** UUIDs start with 0-9 or a-f: listing stops before the `history:` chunks. */
const LAST_ZERGLING_KEY = 'g'

type CommandPending = Pending<CommandRequest, Outcome<StoredZergling>>

/** What one request in a batch turned out to be, decided against the current document. */
type Step =
  | { kind: 'applied', historyLength: number, state: ZerglingRecord['state'] }
  | { kind: 'replayed', record: IdempotencyRecord }
  | { kind: 'reused' }

export function createDocumentStore (backend: DocumentBackend, options: DocumentStoreOptions = {}): ZerglingStore {
  const policy = options.retry ?? DEFAULT_RETRY_POLICY
  const retry = async <T>(attempt: () => Promise<T>): Promise<T> => await retryOnConflict(attempt, policy, options.retryHooks)

  async function read (id: string): Promise<ZerglingRecord> {
    const doc = await backend.getDocument(id)
    if (!isZerglingDocument(doc)) throw notFound()
    return fromDocument(doc)
  }

  async function view (record: Omit<ZerglingRecord, 'rev'>, rev: string, length: number, state: ZerglingRecord['state'], history: HistoryView): Promise<StoredZergling> {
    const zergling: StoredZergling = { ...state, rev, historyLength: length }
    if (history === 'none') return zergling
    const from = history === 'all' ? 0 : Math.max(0, length - history.last)
    zergling.commandHistory = await readHistory(backend, record, from, length)
    return zergling
  }

  /** Writes the chunks that the committed tail has filled; a racing writer writes the same ones. */
  async function archiveFullChunks (record: ZerglingRecord): Promise<number> {
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

  function plan (current: ZerglingRecord, batch: readonly CommandPending[]): { steps: Step[], next: Omit<ZerglingRecord, 'rev'>, applied: Command[] } {
    let state = current.state
    let length = historyLength(current)
    const records = [...current.idempotency]
    const generation = revisionGeneration(current.rev) + 1
    const applied: Command[] = []
    const steps = batch.map(({ request }): Step => {
      const key = request.idempotencyKey === undefined ? undefined : keyDigest(request.idempotencyKey)
      const commands = commandsDigest(request.commands)
      const seen = key === undefined ? undefined : findRecord(records, key)
      if (seen !== undefined) return seen.commands === commands ? { kind: 'replayed', record: seen } : { kind: 'reused' }
      state = move(state, request.commands)
      length += request.commands.length
      applied.push(...request.commands)
      if (key !== undefined) records.push({ key, commands, historyLength: length, location: state.location, facing: state.facing, generation })
      return { kind: 'applied', historyLength: length, state }
    })
    const next = { state, recentCommands: current.recentCommands + applied.join(''), archivedChunks: current.archivedChunks, idempotency: keepNewest(records) }
    return { steps, next, applied }
  }

  async function flush (id: string, batch: CommandPending[]): Promise<void> {
    try {
      const { steps, next, rev } = await retry(async () => {
        const current = await read(id)
        const { steps, next, applied } = plan(current, batch)
        if (applied.length === 0) return { steps, next, rev: current.rev }
        const archived = await archiveFullChunks(current)
        next.archivedChunks += archived
        next.recentCommands = next.recentCommands.slice(archived * HISTORY_CHUNK_SIZE)
        return { steps, next, rev: await backend.putDocument(toDocument(next, current.rev)) }
      })
      await Promise.all(batch.map(async (pending, i) => {
        try {
          pending.resolve(await settle(id, steps[i]!, pending.request, next, rev))
        } catch (error) {
          pending.reject(error)
        }
      }))
    } catch (error) {
      for (const pending of batch) pending.reject(error)
    }
  }

  async function settle (id: string, step: Step, request: CommandRequest, next: Omit<ZerglingRecord, 'rev'>, rev: string): Promise<Outcome<StoredZergling>> {
    switch (step.kind) {
      case 'applied':
        return { result: await view(next, rev, step.historyLength, step.state, request.history), replayed: false }
      case 'reused':
        throw new StoreError('idempotency_key_reused', 'This Idempotency-Key was already used with different commands; use a new key for a new request.')
      case 'replayed': {
        const { record } = step
        const state = { id, location: record.location, facing: record.facing }
        return { result: await view(next, await revisionOf(id, record.generation, rev), record.historyLength, state, request.history), replayed: true }
      }
    }
  }

  /** The full revision of generation `generation`, from the document's revision history. */
  async function revisionOf (id: string, generation: number, latest: string): Promise<string> {
    if (revisionGeneration(latest) === generation) return latest
    const doc = await backend.getDocument(id, { revs: true }) as { _rev?: string, _revisions?: { start: number, ids: string[] } }
    const hash = doc._revisions?.ids[doc._revisions.start - generation]
    // CouchDB keeps the last `_revs_limit` (1000) revision ids; older ones fall back to the latest.
    return hash === undefined ? doc._rev ?? latest : `${generation}-${hash}`
  }

  const batcher = createBatcher<CommandRequest, Outcome<StoredZergling>>(flush, (waiting) => {
    let count = 0
    let commands = 0
    while (count < waiting.length && commands + waiting[count]!.request.commands.length <= BATCH_COMMANDS) {
      commands += waiting[count]!.request.commands.length
      count++
    }
    return count
  })

  return {
    kind: backend.kind,

    async spawn ({ idempotencyKey } = {}) {
      const id = idempotencyKey === undefined ? randomUUID() : zerglingIdForKey(idempotencyKey)
      const record = { state: { id, location: { x: 0, y: 0 }, facing: 'N' as const }, recentCommands: '', archivedChunks: 0, idempotency: [] }
      try {
        const rev = await backend.putDocument(toDocument(record))
        return { result: { ...record.state, rev, historyLength: 0 }, replayed: false }
      } catch (error) {
        if (!isStoreError(error, 'conflict')) throw error
        if (idempotencyKey === undefined) {
          // Ids are fresh UUIDs, so this is a bug guard, not a race to retry.
          throw new StoreError('conflict', 'A zergling with this id already exists; nothing was stored.')
        }
        const existing = await read(id)
        return { result: { ...record.state, rev: await revisionOf(id, 1, existing.rev), historyLength: 0 }, replayed: true }
      }
    },

    async get (id, history) {
      const record = await read(id)
      return await view(record, record.rev, historyLength(record), record.state, history)
    },

    async list (listOptions) {
      return await listPage(backend, listOptions)
    },

    async history (id, { offset, limit }) {
      const record = await read(id)
      const total = historyLength(record)
      return { commands: await readHistory(backend, record, Math.min(offset, total), Math.min(offset + limit, total)), total }
    },

    async command (id, request) {
      return await batcher.submit(id, request)
    },

    async remove (id, history) {
      const last = await retry(async () => {
        const record = await read(id)
        const zergling = await view(record, record.rev, historyLength(record), record.state, history)
        await backend.deleteDocument(id, record.rev)
        return { zergling, chunks: record.archivedChunks }
      })
      await deleteChunks(backend, id, last.chunks)
      return last.zergling
    },

    check: async () => await backend.check(),
    close: async () => await backend.close()
  }
}

/** Best effort: the zergling is already gone; a chunk left behind is never read or listed. */
async function deleteChunks (backend: DocumentBackend, id: string, count: number): Promise<void> {
  if (count === 0) return
  try {
    const rows = await backend.allDocs({ startkey: historyChunkId(id, 0), endkey: historyChunkId(id, count - 1), limit: count })
    for (const row of rows) {
      const rev = (row.doc as { _rev?: string } | undefined)?._rev
      if (rev !== undefined) await backend.deleteDocument(row.id, rev)
    }
  } catch {}
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
    const rows = await backend.allDocs({ startkey: after, endkey: LAST_ZERGLING_KEY, limit: want })
    for (const row of rows) {
      if (row.id === after || !isZerglingDocument(row.doc)) continue
      if (zerglings.length === limit) {
        return { zerglings, next: encodeCursor(zerglings[limit - 1]!.id) }
      }
      const record = fromDocument(row.doc)
      zerglings.push({ ...record.state, rev: record.rev, historyLength: historyLength(record) })
    }
    if (rows.length < want) return { zerglings }
    after = rows[rows.length - 1]!.id
  }
}

function notFound (): StoreError {
  return new StoreError('not_found', 'There is no zergling with this id.')
}
