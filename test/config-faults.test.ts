// The fault-injection variables (OVERMIND_FAULT_*): off unless set, parsed strictly, and refused
// altogether with NODE_ENV=production.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, faultsOn, loadConfig } from '../src/config.js'

const refusedNaming = (name: string) => (error: unknown): boolean => error instanceof ConfigError && error.message.includes(name)

describe('fault injection configuration', () => {
  it('when nothing is set, then no fault is on', () => {
    const { faults } = loadConfig({})
    assert.deepEqual(faults, { errorRate: 0, latency: undefined, lostAnswerRate: 0 })
    assert.deepEqual(faultsOn(faults), [])
  })

  it('when the rates and a latency range are set, then they are read as shares and milliseconds', () => {
    const { faults } = loadConfig({ OVERMIND_FAULT_ERROR_RATE: '0.3', OVERMIND_FAULT_LATENCY: '50-200ms', OVERMIND_FAULT_LOST_ANSWER_RATE: '.05' })
    assert.deepEqual(faults, { errorRate: 0.3, latency: { minMs: 50, maxMs: 200 }, lostAnswerRate: 0.05 })
    assert.deepEqual(faultsOn(faults), ['OVERMIND_FAULT_ERROR_RATE', 'OVERMIND_FAULT_LATENCY', 'OVERMIND_FAULT_LOST_ANSWER_RATE'])
  })

  it('when the latency is one delay, in ms or s, then the range is that delay; 0 is off', () => {
    assert.deepEqual(loadConfig({ OVERMIND_FAULT_LATENCY: '100ms' }).faults.latency, { minMs: 100, maxMs: 100 })
    assert.deepEqual(loadConfig({ OVERMIND_FAULT_LATENCY: '1-2s' }).faults.latency, { minMs: 1000, maxMs: 2000 })
    assert.equal(loadConfig({ OVERMIND_FAULT_LATENCY: '0' }).faults.latency, undefined)
  })

  it('when a value is malformed or out of range, then start-up stops with a sentence naming the variable', () => {
    for (const rate of ['1.5', '-0.1', '30%', 'half', '0.3.1']) {
      assert.throws(() => loadConfig({ OVERMIND_FAULT_ERROR_RATE: rate }), refusedNaming('OVERMIND_FAULT_ERROR_RATE'), rate)
      assert.throws(() => loadConfig({ OVERMIND_FAULT_LOST_ANSWER_RATE: rate }), refusedNaming('OVERMIND_FAULT_LOST_ANSWER_RATE'), rate)
    }
    for (const latency of ['100', '200-50ms', 'fast', '5m', '61s', '1.5s']) {
      assert.throws(() => loadConfig({ OVERMIND_FAULT_LATENCY: latency }), refusedNaming('OVERMIND_FAULT_LATENCY'), latency)
    }
  })

  it('when NODE_ENV=production and any fault is on, then start-up is refused naming the variable; off, production starts', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', OVERMIND_FAULT_ERROR_RATE: '0.1' }), refusedNaming('OVERMIND_FAULT_ERROR_RATE'))
    assert.throws(() => loadConfig({ NODE_ENV: 'production', OVERMIND_FAULT_LATENCY: '10ms' }), refusedNaming('OVERMIND_FAULT_LATENCY'))
    assert.throws(() => loadConfig({ NODE_ENV: 'production', OVERMIND_FAULT_LOST_ANSWER_RATE: '1' }), refusedNaming('OVERMIND_FAULT_LOST_ANSWER_RATE'))
    assert.deepEqual(faultsOn(loadConfig({ NODE_ENV: 'production', OVERMIND_FAULT_ERROR_RATE: '0', OVERMIND_FAULT_LATENCY: '0ms' }).faults), [])
    assert.equal(loadConfig({ NODE_ENV: 'development', OVERMIND_FAULT_ERROR_RATE: '0.1' }).faults.errorRate, 0.1)
  })
})
