import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { applyCommands, parseCommands, MAX_COMMANDS_PER_REQUEST } from '../../src/domain/command.js'
import { DomainError } from '../../src/domain/domain-error.js'
import { spawnZergling, type Zergling } from '../../src/domain/zergling.js'

const spawned = (): Zergling => spawnZergling('c4a24574-4ca8-4fbd-93e1-2a648147a71f')
const run = (commands: string, from: Zergling = spawned()): Zergling => applyCommands(from, parseCommands(commands))

describe('zergling rules', () => {
  it('a new zergling stands at (0,0) facing north with no history', () => {
    assert.deepEqual(spawned(), { id: 'c4a24574-4ca8-4fbd-93e1-2a648147a71f', location: { x: 0, y: 0 }, facing: 'N', commandHistory: [] })
  })

  it('M moves one step the way it faces: N is y+1, E x+1, S y-1, W x-1', () => {
    assert.deepEqual(run('M').location, { x: 0, y: 1 })
    assert.deepEqual(run('RM').location, { x: 1, y: 0 })
    assert.deepEqual(run('RRM').location, { x: 0, y: -1 })
    assert.deepEqual(run('LM').location, { x: -1, y: 0 })
  })

  it('L turns N→W→S→E→N and R the other way, without moving', () => {
    assert.deepEqual(['L', 'LL', 'LLL', 'LLLL'].map((c) => run(c).facing), ['W', 'S', 'E', 'N'])
    assert.deepEqual(['R', 'RR', 'RRR', 'RRRR'].map((c) => run(c).facing), ['E', 'S', 'W', 'N'])
    assert.deepEqual(run('LLRR').location, { x: 0, y: 0 })
  })

  it('the seed session: M then L then M leaves it at (-1,1) facing W with history M, L, M', () => {
    const afterM = run('M')
    const afterL = run('L', afterM)
    assert.deepEqual({ location: afterL.location, facing: afterL.facing }, { location: { x: 0, y: 1 }, facing: 'W' })
    const afterSecondM = run('M', afterL)
    assert.deepEqual(afterSecondM.location, { x: -1, y: 1 })
    assert.deepEqual(afterSecondM.commandHistory, ['M', 'L', 'M'])
  })

  it('a string of commands applies in order as one change, one history entry per letter', () => {
    const moved = run('LMLMM')
    assert.deepEqual(moved.location, { x: -1, y: -2 })
    assert.equal(moved.facing, 'S')
    assert.deepEqual(moved.commandHistory, ['L', 'M', 'L', 'M', 'M'])
  })

  it('applying commands leaves the original zergling untouched', () => {
    const before = run('M')
    run('LM', before)
    assert.deepEqual(before, { ...spawned(), location: { x: 0, y: 1 }, commandHistory: ['M'] })
  })

  it('replaying a history from spawn gives the same state', () => {
    const moved = run('MMRMLLMRRRMMLM')
    assert.deepEqual(applyCommands(spawned(), moved.commandHistory), moved)
  })
})

describe('command parsing', () => {
  for (const [input, why] of [
    ['X', 'an unknown letter'], ['m', 'lowercase'], ['', 'empty'], ['M M', 'a space'], ['MX', 'a bad letter after a good one']
  ] as const) {
    it(`rejects ${why} (${JSON.stringify(input)}) with invalid_command`, () => {
      assert.throws(() => parseCommands(input), (error: unknown) => error instanceof DomainError && error.code === 'invalid_command')
    })
  }

  for (const input of [null, 7, ['M'], { command: 'M' }, true]) {
    it(`rejects ${JSON.stringify(input)}, which is not a string, with a sentence saying so`, () => {
      assert.throws(() => parseCommands(input), /must be a JSON string/)
    })
  }

  it(`accepts up to ${MAX_COMMANDS_PER_REQUEST} letters and rejects one more`, () => {
    assert.equal(parseCommands('M'.repeat(MAX_COMMANDS_PER_REQUEST)).length, MAX_COMMANDS_PER_REQUEST)
    assert.throws(() => parseCommands('M'.repeat(MAX_COMMANDS_PER_REQUEST + 1)), /At most/)
  })

  it('names the position of the first bad letter', () => {
    assert.throws(() => parseCommands('MMLx'), /position 4/)
  })
})
