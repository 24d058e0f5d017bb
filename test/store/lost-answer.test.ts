// The lost-answer protocol on its own, against a scripted backend: a write whose answer was lost
// is confirmed by a patient read, and only a read that cannot decide says "outcome unknown".
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { confirmGone, confirmSpawn, confirmWrite, revisionOf, unknownOutcome } from '../../src/store/lost-answer.js'
import { createDocumentStore } from '../../src/store/document-store.js'
import { WRITE_MARKS_KEPT, writeToken } from '../../src/store/write-marks.js'
import { isStoreError, StoreError } from '../../src/store/store-error.js'
import { toDocument } from '../../src/store/zergling-document.js'
import { createMemoryBackend, lostAnswer, type MemoryBackend } from './support/memory-backend.js'
import { send } from './support/send.js'

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

  it('when the write\'s mark is older than the marks a document keeps, then the revision of its generation tells: its own mark there means stored, another\'s not, a body compaction took unknown', async () => {
    const token = writeToken()
    const { backend, id, revs } = await written(3, token)
    // One mark kept per document here: a later write pushes the write's mark out.
    const later = await backend.putDocument({ ...zergling(id, ['later']), _rev: revs[2] })
    assert.equal(await confirmWrite(backend, id, token, 3), revs[2])
    await assert.rejects(confirmWrite(backend, id, writeToken(), 3), isKind('conflict'))
    await assert.rejects(confirmWrite(backend, id, token, 5), isKind('conflict'), 'no revision of that generation yet')
    backend.compact()
    await assert.rejects(confirmWrite(backend, id, token, 3), isKind('outcome_unknown'))
    assert.equal(await confirmWrite(backend, id, 'later', 4), later, 'a mark still kept needs no older body')
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

  for (const body of ['kept', 'compacted'] as const) {
    it(`when more writes than a document keeps marks of land between a stored command and its confirming read, and the revision's body is ${body}, then the command is ${body === 'kept' ? 'confirmed' : 'answered outcome_unknown'} and applied once`, async () => {
      const backend = createMemoryBackend()
      const store = createDocumentStore(backend)
      const others = createDocumentStore(backend)
      const { id } = (await store.spawn()).result
      let lost = false
      backend.intercept = async (call, proceed) => {
        const result = await proceed()
        if (lost || call.op !== 'put') return result
        // Stored; the answer is lost while the other replicas go on writing (a coordinator frozen mid-answer).
        lost = true
        for (let i = 0; i <= WRITE_MARKS_KEPT; i++) await send(others, id, 'R')
        if (body === 'compacted') backend.compact()
        throw lostAnswer()
      }
      const answer = send(store, id, 'LM')
      if (body === 'kept') assert.equal((await answer).historyLength, 2, 'answered with its own place in the history')
      else await assert.rejects(answer, isKind('outcome_unknown'))
      backend.intercept = undefined
      assert.equal((await store.get(id, 'all')).commandHistory!.join(''), 'LM' + 'R'.repeat(WRITE_MARKS_KEPT + 1))
    })
  }

  it('when an error is not "unavailable", then unknownOutcome leaves it as it is', () => {
    const notFound = new StoreError('not_found', 'gone')
    assert.equal(unknownOutcome(notFound), notFound)
    assert.equal((unknownOutcome(new StoreError('unavailable', 'down')) as StoreError).kind, 'outcome_unknown')
  })
})
