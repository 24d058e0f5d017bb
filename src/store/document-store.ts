// The behaviour both stores share, written once: zergling documents and their history chunks,
// group commit with the conflict loop, Idempotency-Key records, paging over `_all_docs`. An
// adapter (CouchDB through nano, embedded PouchDB) only moves documents and translates its
// errors into StoreError kinds.
import { randomBytes, randomUUID } from 'node:crypto'
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
  /**
   * The document (with `_revisions` when `revs`), or StoreError `not_found` (unknown or deleted).
   * `patient` allows a longer wait: it is used to learn whether a write whose answer was lost
   * was stored.
   */
  getDocument (id: string, options?: { revs?: boolean, patient?: boolean }): Promise<unknown>
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

/** How many write tokens a document keeps: enough for the attempts of one batch. */
const WRITE_TOKENS_KEPT = 8

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
    const next = { state, recentCommands: current.recentCommands + applied.join(''), archivedChunks: current.archivedChunks, idempotency: keepNewest(records), recentWrites: current.recentWrites }
    return { steps, next, applied }
  }

  async function flush (id: string, batch: CommandPending[]): Promise<void> {
    // Every write attempt carries a token. When CouchDB's answer to a write is lost (cut, or past
    // the timeout) the write may or may not have been stored: the token in the document says
    // which, so the batch is neither lost (told "error" though stored) nor applied twice.
    const attempts = new Map<string, { steps: Step[], next: Omit<ZerglingRecord, 'rev'>, generation: number }>()
    try {
      const { steps, next, rev } = await retry(async () => {
        const current = await read(id)
        const landed = current.recentWrites.find((token) => attempts.has(token))
        if (landed !== undefined) {
          const attempt = attempts.get(landed)!
          return { ...attempt, rev: await revisionOf(id, attempt.generation, current.rev) }
        }
        const { steps, next, applied } = plan(current, batch)
        if (applied.length === 0) return { steps, next, rev: current.rev }
        const archived = await archiveFullChunks(current)
        next.archivedChunks += archived
        next.recentCommands = next.recentCommands.slice(archived * HISTORY_CHUNK_SIZE)
        const token = writeToken()
        next.recentWrites = [...current.recentWrites, token].slice(-WRITE_TOKENS_KEPT)
        const generation = revisionGeneration(current.rev) + 1
        attempts.set(token, { steps, next, generation })
        try {
          return { steps, next, rev: await backend.putDocument(toDocument(next, current.rev)) }
        } catch (error) {
          if (!isAmbiguous(error)) throw error
          return { steps, next, rev: await confirmWrite(id, token, generation) }
        }
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

  /**
   * After a write whose answer was lost: a patient read decides. Stored → its revision. Not
   * stored → a `conflict`, so the loop re-reads and tries again (a late arrival of the lost
   * write then fails on the stale revision, and its token is recognised if it won). CouchDB
   * still unreachable → `unavailable`: the outcome is unknown, which an Idempotency-Key resolves.
   */
  async function confirmWrite (id: string, token: string, generation: number): Promise<string> {
    let doc: unknown
    try {
      doc = await backend.getDocument(id, { revs: true, patient: true })
    } catch (error) {
      throw unknownOutcome(error)
    }
    if (isZerglingDocument(doc) && fromDocument(doc).recentWrites.includes(token)) return revisionFrom(doc, generation)
    throw new StoreError('conflict', 'The write was not stored.')
  }

  /** After a spawn whose answer was lost: the stored document, or `conflict` to try again. */
  async function confirmSpawn (id: string): Promise<ZerglingRecord> {
    try {
      const doc = await backend.getDocument(id, { revs: true, patient: true })
      if (!isZerglingDocument(doc)) throw new StoreError('conflict', 'The spawn was not stored.')
      return { ...fromDocument(doc), rev: revisionFrom(doc, 1) }
    } catch (error) {
      if (isStoreError(error, 'not_found')) throw new StoreError('conflict', 'The spawn was not stored.')
      throw unknownOutcome(error)
    }
  }

  /** After a delete whose answer was lost: returns when it was stored, else `conflict` to try again. */
  async function confirmGone (id: string): Promise<void> {
    try {
      await backend.getDocument(id, { patient: true })
    } catch (error) {
      if (isStoreError(error, 'not_found')) return
      throw unknownOutcome(error)
    }
    throw new StoreError('conflict', 'The delete was not stored.')
  }

  /** The full revision of generation `generation`, from the document's revision history. */
  async function revisionOf (id: string, generation: number, latest: string): Promise<string> {
    if (revisionGeneration(latest) === generation) return latest
    return revisionFrom(await backend.getDocument(id, { revs: true }), generation) ?? latest
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
      const token = writeToken()
      const record = { state: { id, location: { x: 0, y: 0 }, facing: 'N' as const }, recentCommands: '', archivedChunks: 0, idempotency: [], recentWrites: [token] }
      const spawned = (rev: string, replayed: boolean): Outcome<StoredZergling> => ({ result: { ...record.state, rev, historyLength: 0 }, replayed })
      return await retry(async () => {
        try {
          return spawned(await backend.putDocument(toDocument(record)), false)
        } catch (error) {
          if (isAmbiguous(error)) {
            // The answer was lost: our token in the document means the spawn was stored.
            const stored = await confirmSpawn(id)
            if (stored.recentWrites.includes(token)) return spawned(stored.rev, false)
          } else if (!isStoreError(error, 'conflict')) {
            throw error
          }
          if (idempotencyKey === undefined) {
            // Ids are fresh UUIDs, so this is a bug guard, not a race to retry.
            throw new StoreError('unavailable', 'A zergling with this id already exists; nothing was stored.')
          }
          return spawned(await revisionOf(id, 1, (await read(id)).rev), true)
        }
      })
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
      // Set once a delete's answer was lost: a later `not_found` then means it was stored.
      let unconfirmed: { zergling: StoredZergling, chunks: number } | undefined
      const last = await retry(async () => {
        let record: ZerglingRecord
        try {
          record = await read(id)
        } catch (error) {
          if (unconfirmed !== undefined && isStoreError(error, 'not_found')) return unconfirmed
          throw error
        }
        const zergling = await view(record, record.rev, historyLength(record), record.state, history)
        try {
          await backend.deleteDocument(id, record.rev)
        } catch (error) {
          if (!isAmbiguous(error)) throw error
          unconfirmed = { zergling, chunks: record.archivedChunks }
          await confirmGone(id)
          return unconfirmed
        }
        return { zergling, chunks: record.archivedChunks }
      })
      await deleteChunks(backend, id, last.chunks)
      return last.zergling
    },

    check: async () => await backend.check(),
    close: async () => await backend.close()
  }
}

function isAmbiguous (error: unknown): boolean {
  return isStoreError(error) && error.ambiguous
}

function unknownOutcome (error: unknown): unknown {
  if (!isStoreError(error, 'unavailable')) return error
  return new StoreError('outcome_unknown', 'CouchDB went away before confirming whether the change was stored: it may or may not have been applied. Retry with the same Idempotency-Key to be sure it is applied exactly once.')
}

/** `N-hash` for generation N from a document read with `revs=true`. */
function revisionFrom (doc: unknown, generation: number): string {
  const { _rev: rev, _revisions: revisions } = doc as { _rev?: string, _revisions?: { start: number, ids: string[] } }
  const hash = revisions?.ids[revisions.start - generation]
  // CouchDB keeps the last `_revs_limit` (1000) revision ids; older ones fall back to the latest.
  return hash === undefined ? rev ?? '' : `${generation}-${hash}`
}

function writeToken (): string {
  return randomBytes(9).toString('base64url')
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
