// The breaker's state machine on a fake clock: when it opens, what it lets through, how it closes.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createCircuitBreaker, type CallOutcome } from '../../src/store/circuit-breaker.js'

function breakerOnFakeClock (): { breaker: ReturnType<typeof createCircuitBreaker>, clock: { ms: number }, opened: () => number } {
  const clock = { ms: 0 }
  const breaker = createCircuitBreaker({ threshold: 3, coolDownMs: 2000 }, () => clock.ms)
  let opened = 0
  breaker.onOpen(() => { opened++ })
  return { breaker, clock, opened: () => opened }
}

function callsEnding (breaker: ReturnType<typeof createCircuitBreaker>, ...outcomes: CallOutcome[]): void {
  for (const outcome of outcomes) {
    assert.equal(breaker.admit(), 'pass')
    breaker.record(outcome)
  }
}

describe('the circuit breaker', () => {
  it('when three calls in a row time out, then it opens once and refuses calls at once', () => {
    const { breaker, opened } = breakerOnFakeClock()
    callsEnding(breaker, 'timed_out', 'timed_out')
    assert.equal(breaker.state, 'closed')
    callsEnding(breaker, 'timed_out')
    assert.equal(breaker.state, 'open')
    assert.equal(opened(), 1)
    assert.equal(breaker.admit(), 'refuse')
  })

  it('when an answer comes between timeouts, then the count starts again', () => {
    const { breaker } = breakerOnFakeClock()
    callsEnding(breaker, 'timed_out', 'timed_out', 'answered', 'timed_out', 'timed_out')
    assert.equal(breaker.state, 'closed')
  })

  it('when connections are refused, then it stays closed: those calls already fail fast', () => {
    const { breaker } = breakerOnFakeClock()
    callsEnding(breaker, 'unreachable', 'unreachable', 'unreachable', 'unreachable', 'timed_out', 'unreachable', 'timed_out')
    assert.equal(breaker.state, 'closed')
  })

  it('when the cool-down has passed, then exactly one probe is let through and an answer closes it', () => {
    const { breaker, clock } = breakerOnFakeClock()
    callsEnding(breaker, 'timed_out', 'timed_out', 'timed_out')
    clock.ms = 1999
    assert.equal(breaker.admit(), 'refuse')
    clock.ms = 2000
    assert.equal(breaker.admit(), 'probe')
    assert.equal(breaker.admit(), 'refuse', 'a second caller waits for the probe')
    breaker.settleProbe('answered')
    assert.equal(breaker.state, 'closed')
    assert.equal(breaker.admit(), 'pass')
  })

  for (const outcome of ['timed_out', 'unreachable'] as const) {
    it(`when the probe ends ${outcome}, then it opens again for another cool-down`, () => {
      const { breaker, clock, opened } = breakerOnFakeClock()
      callsEnding(breaker, 'timed_out', 'timed_out', 'timed_out')
      clock.ms = 2500
      assert.equal(breaker.admit(), 'probe')
      breaker.settleProbe(outcome)
      assert.equal(breaker.state, 'open')
      assert.equal(opened(), 2)
      clock.ms = 4499
      assert.equal(breaker.admit(), 'refuse')
      clock.ms = 4500
      assert.equal(breaker.admit(), 'probe')
    })
  }

  it('when calls given up at the opening report back late, then they change nothing', () => {
    const { breaker, clock } = breakerOnFakeClock()
    callsEnding(breaker, 'timed_out', 'timed_out', 'timed_out')
    breaker.record('answered')
    assert.equal(breaker.state, 'open')
    clock.ms = 2000
    assert.equal(breaker.admit(), 'probe')
    breaker.record('answered')
    assert.equal(breaker.state, 'half_open', 'only the probe decides')
  })

  it('when it closed again, then it takes three fresh timeouts to open it', () => {
    const { breaker, clock } = breakerOnFakeClock()
    callsEnding(breaker, 'timed_out', 'timed_out', 'timed_out')
    clock.ms = 2000
    breaker.admit()
    breaker.settleProbe('answered')
    callsEnding(breaker, 'timed_out', 'timed_out')
    assert.equal(breaker.state, 'closed')
  })
})
