import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { fromDocument, isZerglingDocument, toDocument } from '../../src/store/zergling-document.js'

describe('the zergling document', () => {
  it('when a zergling becomes a document and back, then nothing is lost', () => {
    const record = {
      state: { id: randomUUID(), location: { x: 0, y: 1 }, facing: 'N' as const },
      recentCommands: 'M',
      archivedChunks: 2,
      idempotency: [{ key: 'k', commands: 'c', historyLength: 2001, location: { x: 0, y: 1 }, facing: 'N' as const, generation: 7 }],
      recentWrites: ['token:2001'],
      absorbed: ['other'],
      mergeTombstones: ['5-t'],
      born: 3
    }
    const doc = { ...toDocument(record), _rev: '7-abc' }
    assert.ok(isZerglingDocument(doc))
    assert.deepEqual(fromDocument(doc), { ...record, rev: '7-abc' })
  })

  it('when a document comes from the original service, then its commandHistory reads as the history, or none without it', () => {
    const bare = { _id: randomUUID(), _rev: '1-a', location: { x: 0, y: 0 }, facing: 'N' }
    assert.ok(isZerglingDocument(bare))
    assert.equal(fromDocument(bare).recentCommands, '')
    const moved = { ...bare, commandHistory: ['M', 'L'] }
    assert.ok(isZerglingDocument(moved))
    assert.deepEqual({ ...fromDocument(moved), rev: undefined }, { state: { id: bare._id, location: { x: 0, y: 0 }, facing: 'N' }, recentCommands: 'ML', archivedChunks: 0, idempotency: [], recentWrites: [], absorbed: [], mergeTombstones: [], rev: undefined })
  })

  it('when a document is a design doc or has another shape, then it is not a zergling', () => {
    const good = { _id: randomUUID(), _rev: '1-a', location: { x: 0, y: 0 }, facing: 'N', commandHistory: [] }
    const strangers: unknown[] = [
      undefined, null, 'text',
      { ...good, _id: '_design/x' },
      { ...good, _id: 'not-a-uuid' },
      { ...good, _rev: undefined },
      { ...good, facing: '' },
      { ...good, location: { x: '1', y: 0 } },
      { ...good, commandHistory: ['X'] },
      { ...good, recentCommands: 'MX' },
      { ...good, archivedChunks: -1 }
    ]
    for (const doc of strangers) assert.equal(isZerglingDocument(doc), false, JSON.stringify(doc))
  })
})
