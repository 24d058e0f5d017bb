// One group-commit batch (command-batcher.ts) for one zergling: read the document (or start
// from what this replica remembers of it, document-memory.ts), decide each request against it (applied, replayed by its Idempotency-Key, or a reused key), write it all
// in one revision, then answer every request with the state right after its own commands.
// The write loop retries on a lost revision race and follows the lost-answer protocol.
import { move } from '../domain/command.js'
import type { Command } from '../domain/zergling.js'
import type { Pending } from './command-batcher.js'
import type { DocumentBackend } from './document-backend.js'
import type { DocumentMemory } from './document-memory.js'
import { archiveFullChunks, chunksToCut } from './history-archive.js'
import { commandsDigest, findRecord, keepNewest, keyDigest } from './idempotency.js'
import { confirmWrite, findWrite, isAmbiguous, lifeStart, revisionOf } from './lost-answer.js'
import { revisionGeneration } from './revisions.js'
import { checkPinned, isStoreError, StoreError } from './store-error.js'
import { recordGroupCommit, recordStaleRevision } from '../tracing/span-events.js'
import { attemptToken, withMark, writeToken } from './write-marks.js'
import { viewZergling } from './zergling-reads.js'
import { HISTORY_CHUNK_SIZE, historyLength, toDocument, type IdempotencyRecord, type ZerglingRecord } from './zergling-document.js'
import type { CommandRequest, Outcome, StoredZergling } from './zergling-store.js'

export type CommandPending = Pending<CommandRequest, Outcome<StoredZergling>>

/** What one request in a batch turned out to be, decided against the current document. */
type Step =
  | { kind: 'applied', historyLength: number, state: ZerglingRecord['state'] }
  | { kind: 'replayed', record: IdempotencyRecord }
  | { kind: 'reused' }

type Retry = <T>(attempt: () => Promise<T>) => Promise<T>

/** Decides every request of `batch` against `current`, in order, and the document they make with the write `token`. */
export function plan (current: ZerglingRecord, batch: readonly CommandPending[], token: string): { steps: Step[], next: Omit<ZerglingRecord, 'rev'>, applied: Command[] } {
  let state = current.state
  let length = historyLength(current)
  const records = [...current.idempotency]
  const generation = revisionGeneration(current.rev) + 1
  const applied: Command[] = []
  const steps = batch.map(({ request }): Step => {
    const key = request.idempotencyKey === undefined ? undefined : keyDigest(request.idempotencyKey)
    // A digest only for a request with a key: the record it is kept in is its only use.
    const commands = key === undefined ? '' : commandsDigest(request.commands)
    const seen = key === undefined ? undefined : findRecord(records, key)
    if (seen !== undefined) return seen.commands === commands ? { kind: 'replayed', record: seen } : { kind: 'reused' }
    state = move(state, request.commands)
    length += request.commands.length
    applied.push(...request.commands)
    if (key !== undefined) records.push({ key, commands, historyLength: length, location: state.location, facing: state.facing, generation, write: token, count: request.commands.length })
    return { kind: 'applied', historyLength: length, state }
  })
  const { rev: _committed, ...unchanged } = current
  const born = lifeStart(current)
  const next = { ...unchanged, state, recentCommands: current.recentCommands + applied.join(''), idempotency: keepNewest(records), ...(born === undefined ? {} : { born }) }
  return { steps, next, applied }
}

/**
 * A batch stored on a branch that a merge has since absorbed (its answer was lost meanwhile):
 * the state right after its commands existed only on that branch, so each applied request is
 * answered with the merged zergling, whose history holds its commands once.
 */
function absorbedAnswer (steps: readonly Step[], current: ZerglingRecord): { steps: Step[], next: Omit<ZerglingRecord, 'rev'>, rev: string } {
  const { rev, ...next } = current
  const merged: Step = { kind: 'applied', historyLength: historyLength(current), state: current.state }
  return { steps: steps.map((step) => step.kind === 'applied' ? merged : step), next, rev }
}

/**
 * What a batch may start from without reading: the remembered record, unless the batch carries
 * an Idempotency-Key the record does not hold, or pins a revision other than the record's. Such a key may have been used on a branch this
 * replica has not seen (a client retrying here after another replica or a cut-off node took it),
 * and only a read with `conflicts=true` shows every branch: exactly-once comes before speed.
 */
function startingPoint (remembered: ZerglingRecord | undefined, batch: readonly CommandPending[]): ZerglingRecord | undefined {
  if (remembered === undefined) return undefined
  const unknownKey = batch.some(({ request }) => request.idempotencyKey !== undefined && findRecord(remembered.idempotency, keyDigest(request.idempotencyKey)) === undefined)
  // A remembered revision the client did not name may just be behind: only a read may say 412.
  const otherRevision = batch.some(({ request }) => request.ifMatch !== undefined && !request.ifMatch.includes(remembered.rev))
  return unknownKey || otherRevision ? undefined : remembered
}

/**
 * The batcher's flush for a store on `backend`; it settles every request and never throws.
 * `read` is the store's read (a conflicted zergling comes back merged). With a `memory`, the
 * first attempt writes on the revision this replica remembers, without reading: one round trip
 * when nobody else wrote meanwhile, and one 409 and a read when somebody did.
 */
export function createCommandFlush (backend: DocumentBackend, retry: Retry, read: (id: string) => Promise<ZerglingRecord>, memory?: DocumentMemory): (id: string, batch: CommandPending[]) => Promise<void> {
  async function settle (id: string, step: Step, request: CommandRequest, next: Omit<ZerglingRecord, 'rev'>, rev: string): Promise<Outcome<StoredZergling>> {
    switch (step.kind) {
      case 'applied':
        return { result: await viewZergling(backend, next, rev, step.historyLength, step.state, request.history), replayed: false }
      case 'reused':
        throw new StoreError('idempotency_key_reused', 'This Idempotency-Key was already used with different commands; use a new key for a new request.')
      case 'replayed': {
        const { record } = step
        const state = { id, location: record.location, facing: record.facing }
        return { result: await viewZergling(backend, next, await revisionOf(backend, id, record.generation, rev), record.historyLength, state, request.history), replayed: true }
      }
    }
  }

  return async function flush (id, batch) {
    // Every write attempt carries a token (lost-answer.ts): when the answer to one is lost, the
    // token in the document says whether it was stored. The attempts share the batch's token
    // (write-marks.ts): should two of them land on two branches, a merge keeps one.
    const attempts = new Map<string, { steps: Step[], next: Omit<ZerglingRecord, 'rev'>, generation: number }>()

    /** One attempt on `current`; `wrote` says whether it stored a revision of its own. */
    async function attemptOn (current: ZerglingRecord, remembered: boolean): Promise<{ steps: Step[], next: Omit<ZerglingRecord, 'rev'>, rev: string, wrote: boolean }> {
      // Only an earlier attempt of this batch can have landed (none on the first: no marks to read).
      const landed = attempts.size === 0 ? undefined : findWrite(current, (token) => attempts.has(token))
      if (landed !== undefined && landed.absorbed) return { ...absorbedAnswer(attempts.get(landed.token)!.steps, current), wrote: false }
      if (landed !== undefined) {
        const attempt = attempts.get(landed.token)!
        return { ...attempt, rev: await revisionOf(backend, id, attempt.generation, current.rev), wrote: false }
      }
      const token = attemptToken(batchToken, attempts.size)
      const { steps, next, applied } = plan(current, batch, token)
      // A replay answers what was applied, whatever the revision now: a repeat of a pinned
      // request whose answer was lost is told what it did, not 412.
      if (applied.length === 0) return { steps, next, rev: current.rev, wrote: false }
      // Every attempt starts here, so a retry after a lost race (or a lost answer) writes again
      // only while the zergling is still at a revision the client named.
      checkPinned(pinned, current.rev)
      // Chunks are cut from the committed revision: never from one that may be stale.
      if (remembered && chunksToCut(current.recentCommands.length) > 0) return await attemptOn(await read(id), false)
      const archived = await archiveFullChunks(backend, current)
      next.archivedChunks += archived
      next.recentCommands = next.recentCommands.slice(archived * HISTORY_CHUNK_SIZE)
      next.recentWrites = withMark(current.recentWrites, token, historyLength(next))
      const generation = revisionGeneration(current.rev) + 1
      attempts.set(token, { steps, next, generation })
      try {
        return { steps, next, rev: await backend.putDocument(toDocument(next, current.rev)), wrote: true }
      } catch (error) {
        if (!isAmbiguous(error)) throw error
        return { steps, next, rev: await confirmWrite(backend, id, token, generation), wrote: false }
      }
    }

    recordGroupCommit(batch)
    const batchToken = writeToken()
    // A pinned request is alone in its batch (document-store.ts): the pin is the batch's.
    const pinned = batch[0]!.request.ifMatch
    let remembered = startingPoint(memory?.recall(id), batch)
    try {
      const { steps, next, rev, wrote } = await retry(async () => {
        const start = remembered
        remembered = undefined
        if (start !== undefined) {
          try {
            return await attemptOn(start, true)
          } catch (error) {
            // Another writer moved it since: read it and try again at once (no back-off, this
            // was not a race lost to a writer of this moment).
            if (!isStoreError(error, 'conflict')) throw error
            recordStaleRevision()
            memory?.forget(id)
          }
        }
        return await attemptOn(await read(id), false)
      })
      // Remembered only as CouchDB acknowledged it: a write of ours with a quorum of copies.
      if (wrote && backend.acceptedWithoutQuorum?.(rev) !== true) memory?.remember({ ...next, rev })
      else memory?.forget(id)
      await Promise.all(batch.map(async (pending, i) => {
        try {
          pending.resolve(await settle(id, steps[i]!, pending.request, next, rev))
        } catch (error) {
          pending.reject(error)
        }
      }))
    } catch (error) {
      memory?.forget(id)
      for (const pending of batch) pending.reject(error)
    }
  }
}
