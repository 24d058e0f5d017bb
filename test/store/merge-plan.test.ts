// The merge as pure data: where a loser forked, which write each of its commands after the fork
// came from, and which of them a merge takes in — on hand-made marks, so each tree shape a
// cluster can make is spelt out.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCommands } from '../../src/domain/index.js'
import { segmentsAfter, withoutHeldRequests } from '../../src/store/branch-segments.js'
import { absorb, segmentsToTake, sharedMark, startMerge } from '../../src/store/merge-plan.js'
import { parseWriteMark, withMark } from '../../src/store/write-marks.js'
import type { IdempotencyRecord, ZerglingRecord } from '../../src/store/zergling-document.js'

const keyed = (key: string, write?: string, historyLength = 1, count?: number): IdempotencyRecord =>
  ({ key, commands: 'c', historyLength, location: { x: 0, y: 1 }, facing: 'N', generation: 2, ...(write === undefined ? {} : { write }), ...(count === undefined ? {} : { count }) })

const record = (recentWrites: string[], { absorbed = [], keys = [], commands = 'MM', rev = '3-a' }: { absorbed?: string[], keys?: Array<string | IdempotencyRecord>, commands?: string, rev?: string } = {}): ZerglingRecord => ({
  state: { id: 'z', location: { x: 0, y: 0 }, facing: 'N' },
  rev,
  recentCommands: commands,
  archivedChunks: 0,
  idempotency: keys.map((key) => typeof key === 'string' ? keyed(key) : key),
  recentWrites,
  absorbed,
  mergeTombstones: []
})

describe('write marks', () => {
  it('when a merge\'s mark lists pieces, then they read back in order, and a mark from before lengths reads as a plain token', () => {
    const [mark] = withMark([], 'm', 9, [{ token: 'b.0', from: 3, to: 5 }, { token: '~x', from: 0, to: 4 }])
    assert.equal(mark, 'm:9:b.0+3-5,~x+0-4')
    assert.deepEqual(parseWriteMark(mark!), { token: 'm', length: 9, pieces: [{ token: 'b.0', from: 3, to: 5 }, { token: '~x', from: 0, to: 4 }] })
    assert.deepEqual(parseWriteMark('t'), { token: 't', length: undefined, pieces: [] })
    assert.deepEqual(parseWriteMark('t:4:nonsense'), { token: 't', length: 4, pieces: [] })
  })
})

describe('the segments of a losing branch', () => {
  it('when each write after the fork left a mark, then each gives the commands since the previous mark', () => {
    assert.deepEqual(segmentsAfter(record(['f:2', 'x:5', 'k:5', 'y:6']), 2, 6), [{ token: 'x', from: 2, to: 5, at: 2 }, { token: 'y', from: 5, to: 6, at: 5 }])
  })

  it('when a merge\'s mark lists pieces, then its commands are those pieces, ending at its length, counted as on their own lines', () => {
    assert.deepEqual(segmentsAfter(record(['f:2', 'm:7:b1+3-5,b2+5-8']), 2, 7), [{ token: 'b1', from: 3, to: 5, at: 2 }, { token: 'b2', from: 5, to: 8, at: 4 }])
  })

  it('when the kept marks do not reach back to the fork, or commands follow the last mark, then those commands are one segment named after the branch and its start', () => {
    const segments = segmentsAfter(record(['x:5', 'y:6'], { rev: '9-b' }), 2, 8)
    assert.deepEqual(segments.map(({ from, to, at }) => [from, to, at]), [[2, 5, 2], [5, 6, 5], [6, 8, 6]])
    assert.equal(segments[1]!.token, 'y')
    assert.match(segments[0]!.token, /^~/)
    assert.deepEqual(segmentsAfter(record(['x:5', 'y:6'], { rev: '9-b' }), 2, 8), segments, 'two merges of the branch name them alike')
    assert.notEqual(segmentsAfter(record(['x:5', 'y:6'], { rev: '9-c' }), 2, 8)[0]!.token, segments[0]!.token)
  })

  it('when the fork falls inside a write (a fork point from the common prefix), then only its commands after the fork count', () => {
    assert.deepEqual(segmentsAfter(record(['f:2', 'x:6', 'm:9:b+0-3']), 4, 9), [{ token: 'x', from: 4, to: 6, at: 4 }, { token: 'b', from: 0, to: 3, at: 6 }])
  })

  it('when some requests of a segment had Idempotency-Keys held already, then the segment comes without them', () => {
    const records = [keyed('k1', 'x', 5, 2), keyed('k2', 'x', 8, 1), keyed('k3', 'other', 4, 1), keyed('k4', 'x', 3, 1)]
    assert.deepEqual(withoutHeldRequests({ token: 'x', from: 2, to: 8, at: 10 }, records, new Set(['k1', 'k2', 'k3'])), [{ token: 'x', from: 2, to: 3, at: 10 }, { token: 'x', from: 5, to: 7, at: 13 }])
  })
})

describe('the merge plan', () => {
  it('when the loser\'s newest shared write is on the winner\'s line, absorbed, or taken in by one of its merges, then its recorded length is the fork point', () => {
    const base = startMerge(record(['a:0', 'b:1', 'c:2', 'm:4:p+1-3'], { absorbed: ['x'] }))
    assert.deepEqual(sharedMark(base, record(['a:0', 'b:1', 'd:3'])), { token: 'b', length: 1, pieces: [] })
    assert.deepEqual(sharedMark(base, record(['b:1', 'x:5', 'y:6'])), { token: 'x', length: 5, pieces: [] })
    assert.deepEqual(sharedMark(base, record(['b:1', 'p:3', 'y:6'])), { token: 'p', length: 3, pieces: [] })
    assert.equal(sharedMark(base, record(['q:1'])), undefined)
    assert.deepEqual(sharedMark(base, record(['b'])), { token: 'b', length: undefined, pieces: [] }, 'a plain token from before lengths gives no fork point')
  })

  it('when a loser is absorbed, then its commands move the winner\'s state, its keys join, its tokens are absorbed, never marks, and the merge lists what it took', () => {
    const winner = record(['a:0', 'b:2'], { keys: ['k1'] })
    const loser = record(['a:0', 'l:2'], { absorbed: ['old'], keys: ['k1', 'k2'], commands: 'RM' })
    const taken = segmentsToTake(startMerge(winner), loser, 0)
    const merged = absorb(startMerge(winner), loser, 0, taken, parseCommands('RM'))
    assert.deepEqual(merged.record.state, { id: 'z', location: { x: 1, y: 0 }, facing: 'E' })
    assert.equal(merged.record.recentCommands, 'MMRM')
    assert.deepEqual(merged.record.idempotency.map((entry) => entry.key), ['k1', 'k2'])
    assert.deepEqual(merged.record.recentWrites, ['a:0', 'b:2'])
    assert.deepEqual(merged.record.absorbed, ['old', 'l'])
    assert.deepEqual(merged.pieces, [{ token: 'l', from: 0, to: 2 }])
    assert.equal(merged.changed, true)
    const again = startMerge({ ...merged.record, rev: '4-b' })
    assert.deepEqual(segmentsToTake(again, loser, 0), [])
    assert.equal(absorb(again, loser, 0, [], []).changed, false, 'a loser already absorbed changes nothing')
  })

  it('when a loser\'s marks reach back before its fork, then only its writes after the fork are recorded as absorbed: those before are held already', () => {
    const winner = record(['a:0', 'b:2'])
    const loser = record(['p:1', 'a:2', 'l:3'], { commands: 'MMR' })
    const taken = segmentsToTake(startMerge(winner), loser, 2)
    assert.deepEqual(absorb(startMerge(winner), loser, 2, taken, parseCommands('R')).record.absorbed, ['l'])
  })

  it('when two merges took in the same write and one is the other\'s loser, then nothing of it is taken again, and what else the loser has is', () => {
    const winner = record(['a:2', 'm1:5:b+2-5'], { absorbed: ['b'], commands: 'MMRRR' })
    const loser = record(['a:2', 'm2:5:b+2-5', 'c:6'], { absorbed: ['b'], commands: 'MMRRRL' })
    assert.deepEqual(sharedMark(startMerge(winner), loser), { token: 'a', length: 2, pieces: [] })
    assert.deepEqual(segmentsToTake(startMerge(winner), loser, 2), [{ token: 'c', from: 5, to: 6, at: 5 }])
  })

  it('when another attempt of the same batch is held (the answer to one was lost and it landed on a branch after all), then the loser\'s attempt is not taken', () => {
    const winner = record(['a:2', 'w.1:4'], { commands: 'MMRR' })
    assert.deepEqual(segmentsToTake(startMerge(winner), record(['a:2', 'w.0:4', 'z.0:5'], { commands: 'MMRRL' }), 2), [{ token: 'z.0', from: 4, to: 5, at: 4 }])
  })

  it('when a keyed request was applied on both branches (a client retried it elsewhere), then the loser\'s copy of it is left out', () => {
    const winner = record(['a:2', 'r.0:4'], { keys: [keyed('k', 'r.0', 4, 2)], commands: 'MMRR' })
    const loser = record(['a:2', 'l.0:5'], { keys: [keyed('k', 'l.0', 4, 2), keyed('j', 'l.0', 5, 1)], commands: 'MMRRL' })
    assert.deepEqual(segmentsToTake(startMerge(winner), loser, 2), [{ token: 'l.0', from: 4, to: 5, at: 4 }])
  })
})
