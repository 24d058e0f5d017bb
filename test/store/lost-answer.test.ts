// The lost-answer protocol on its own, against a scripted backend: a write whose answer was lost
// is confirmed by a patient read, and only a read that cannot decide says "outcome unknown".
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { confirmGone, confirmSpawn, confirmWrite, revisionOf, unknownOutcome } from '../../src/store/lost-answer.js'
import { writeToken } from '../../src/store/write-marks.js'
import { isStoreError, StoreError } from '../../src/store/store-error.js'
import { toDocument } from '../../src/store/zergling-document.js'
import { createMemoryBackend, type MemoryBackend } from './support/memory-backend.js'

function zergling (id: string, recentWrites: string[], absorbed: string[] = []): ReturnType<typeof toDocument> {
  return toDocument({ state: { id, location: { x: 0, y: 0 }, facing: 'N' }, recentCommands: '', archivedChunks: 0, idempotency: [], recentWrites, absorbed, mergeTombstones: [] })
}

/** A backend holding one zergling written `writes` times, the last write carrying `token`. */
async function written (writes: number, token: string): Promise<{ backend: MemoryBackend, id: string, revs: string[] }> {
  const backend = createMemoryBackend()
  const id = randomUUID()
  const revs = [await backend.putDocument(zergling(id, ['spawn']))]
  for (let i = 1; i < writes; i++) revs.push(await backend.putDocument({ ...zergling(id, i === writes - 1 ? [token] : [`w${i}`]), _rev: revs[i - 1] }))
  return { backend, id, revs }
}

const unreachable = async (): Promise<never> => { throw new StoreError('unavailable', 'CouchDB cannot be reached.') }

const isKind = (kind: string) => (error: unknown): boolean => isStoreError(error) && error.kind === kind

describe('the lost-answer protocol', () => {
  it('when a write whose answer was lost is in the document, then confirmWrite gives the revision it made, even after later writes', async () => {
    const token = writeToken()
    const { backend, id, revs } = await written(3, token)
    assert.equal(await confirmWrite(backend, id, token, 3), revs[2])
    await backend.putDocument({ ...zergling(id, [token, 'later']), _rev: revs[2] })
    assert.equal(await confirmWrite(backend, id, token, 3), revs[2], 'found through _revisions')
    assert.ok(backend.calls.every((call) => call.op !== 'get' || call.options?.patient === true), 'the reads are patient')
  })

  it('when the write landed on a branch that a merge absorbed, then confirmWrite finds it stored and gives the merged revision', async () => {
    const token = writeToken()
    const { backend, id, revs } = await written(2, 'x')
    const merged = await backend.putDocument({ ...zergling(id, ['x', 'merge:3'], [token]), _rev: revs[1] })
    assert.equal(await confirmWrite(backend, id, token, 2), merged)
  })

  it('when the token is not in the document, then confirmWrite says conflict, so the write loop tries again', async () => {
    const { backend, id } = await written(2, 'someone-else')
    await assert.rejects(confirmWrite(backend, id, writeToken(), 2), isKind('conflict'))
  })

  it('when CouchDB cannot be reached for the confirming read, then the outcome is unknown, never "not stored"', async () => {
    const token = writeToken()
    const { backend, id } = await written(2, token)
    backend.intercept = unreachable
    await assert.rejects(confirmWrite(backend, id, token, 2), isKind('outcome_unknown'))
    await assert.rejects(confirmSpawn(backend, id), isKind('outcome_unknown'))
    await assert.rejects(confirmGone(backend, id), isKind('outcome_unknown'))
  })

  it('when a spawn was stored, then confirmSpawn gives its first revision; when it was not, conflict', async () => {
    const { backend, id, revs } = await written(2, 'x')
    const stored = await confirmSpawn(backend, id)
    assert.equal(stored.rev, revs[0])
    assert.deepEqual(stored.recentWrites, ['x'])
    await assert.rejects(confirmSpawn(backend, randomUUID()), isKind('conflict'))
  })

  it('when a delete was stored, then confirmGone returns; when the document is still there, conflict', async () => {
    const { backend, id, revs } = await written(1, 'x')
    await assert.rejects(confirmGone(backend, id), isKind('conflict'))
    await backend.deleteDocument(id, revs[0]!)
    await confirmGone(backend, id)
  })

  it('when a revision of an earlier generation is asked for, then revisionOf reads it from _revisions, and the latest costs no read', async () => {
    const { backend, id, revs } = await written(3, 'x')
    backend.calls.length = 0
    assert.equal(await revisionOf(backend, id, 3, revs[2]!), revs[2])
    assert.equal(backend.calls.length, 0)
    assert.equal(await revisionOf(backend, id, 2, revs[2]!), revs[1])
  })

  it('when an error is not "unavailable", then unknownOutcome leaves it as it is', () => {
    const notFound = new StoreError('not_found', 'gone')
    assert.equal(unknownOutcome(notFound), notFound)
    assert.equal((unknownOutcome(new StoreError('unavailable', 'down')) as StoreError).kind, 'outcome_unknown')
  })
})
