import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { spawnZergling } from '../../src/domain/index.js'
import { fromDocument, isZerglingDocument, toDocument } from '../../src/store/zergling-document.js'

describe('the zergling document', () => {
  it('when a zergling becomes a document and back, then nothing is lost', () => {
    const zergling = { ...spawnZergling(randomUUID()), commandHistory: ['M' as const] }
    const doc = { ...toDocument(zergling), _rev: '2-abc' }
    assert.ok(isZerglingDocument(doc))
    assert.deepEqual(fromDocument(doc), { ...zergling, rev: '2-abc' })
  })

  it('when a document comes from the original service without commandHistory, then it reads as an empty history', () => {
    const doc = { _id: randomUUID(), _rev: '1-a', location: { x: 0, y: 0 }, facing: 'N' }
    assert.ok(isZerglingDocument(doc))
    assert.deepEqual(fromDocument(doc as Parameters<typeof fromDocument>[0]).commandHistory, [])
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
      { ...good, commandHistory: ['X'] }
    ]
    for (const doc of strangers) assert.equal(isZerglingDocument(doc), false, JSON.stringify(doc))
  })
})
