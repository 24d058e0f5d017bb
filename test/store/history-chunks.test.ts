import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { chunkKeyRange, chunkVariant, historyChunkId, isHistoryChunk, pickVariant, type ChunkVariant } from '../../src/store/history-chunks.js'

const variant = (index: number, cutFrom?: string): ChunkVariant => ({ id: `v-${cutFrom ?? 'old'}`, rev: '1-a', index, cutFrom, commands: cutFrom ?? 'old' })

describe('history chunk ids', () => {
  it('when a history chunk is named, then its id sorts after every zergling id, in index order, inside the range of its index', () => {
    const id = randomUUID()
    assert.ok(historyChunkId(id, 2, '5-abc') > 'f'.repeat(36))
    assert.ok(historyChunkId(id, 9, '99-abc') < historyChunkId(id, 10, '1-abc'))
    const { startkey, endkey } = chunkKeyRange(id, 3, 4)
    for (const inside of [historyChunkId(id, 3, '1-a'), historyChunkId(id, 4, '999-f'), `history:${id}:00000004`]) {
      assert.ok(inside >= startkey && inside <= endkey, inside)
    }
    for (const outside of [historyChunkId(id, 2, '9-f'), historyChunkId(id, 5, '1-a')]) assert.ok(outside < startkey || outside > endkey, outside)
    assert.ok(isHistoryChunk({ _id: historyChunkId(id, 0, '1-a'), zergling: id, index: 0, commands: 'MLR' }))
    assert.ok(!isHistoryChunk({ _id: historyChunkId(id, 0, '1-a'), zergling: id, index: 0, commands: 'MXR' }))
  })

  it('when a row is read back, then the index and the revision it was cut from come from its id, old ids included', () => {
    const id = randomUUID()
    const doc = { _rev: '1-x', zergling: id, index: 7, commands: 'M' }
    assert.deepEqual(chunkVariant(id, { id: historyChunkId(id, 7, '12-ab'), doc }), { id: historyChunkId(id, 7, '12-ab'), rev: '1-x', index: 7, cutFrom: '12-ab', commands: 'M' })
    assert.equal(chunkVariant(id, { id: `history:${id}:00000007`, doc })?.cutFrom, undefined)
    assert.equal(chunkVariant(id, { id: historyChunkId(id, 8, '12-ab'), doc }), undefined, 'the index in the body must match')
    assert.equal(chunkVariant(randomUUID(), { id: historyChunkId(id, 7, '12-ab'), doc }), undefined, 'another zergling\'s')
  })

  it('when an index has several variants, then the one cut on the revision\'s own path wins, the newest such; else the highest generation; old ids last', () => {
    const path = new Set(['3-c', '2-b', '1-a'])
    assert.equal(pickVariant([variant(0, '9-z'), variant(0, '2-b'), variant(0, '3-c')], path)?.cutFrom, '3-c')
    assert.equal(pickVariant([variant(0, '4-y'), variant(0, '9-z'), variant(0)], new Set())?.cutFrom, '9-z')
    assert.equal(pickVariant([variant(0), variant(0, '1-q')], new Set())?.cutFrom, '1-q')
    assert.equal(pickVariant([variant(0)], new Set())?.cutFrom, undefined)
    assert.equal(pickVariant([], path), undefined)
  })
})
