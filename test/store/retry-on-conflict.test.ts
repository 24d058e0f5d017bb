import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { backoffCeiling, DEFAULT_RETRY_POLICY, retryOnConflict, type RetryPolicy } from '../../src/store/retry-on-conflict.js'
import { StoreError } from '../../src/store/store-error.js'

const policy: RetryPolicy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 25 }

function recorder (): { sleeps: number[], sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = []
  return { sleeps, sleep: async (ms) => { sleeps.push(ms) } }
}

function conflictsThen<T> (failures: number, value: T): { calls: () => number, attempt: () => Promise<T> } {
  let calls = 0
  return {
    calls: () => calls,
    attempt: async () => {
      calls++
      if (calls <= failures) throw new StoreError('conflict', 'lost the race')
      return value
    }
  }
}

describe('retryOnConflict', () => {
  it('when the attempt conflicts twice then succeeds, then its result is returned after two jittered sleeps', async () => {
    const { sleeps, sleep } = recorder()
    const { calls, attempt } = conflictsThen(2, 'done')
    assert.equal(await retryOnConflict(attempt, policy, { sleep, random: () => 0.5 }), 'done')
    assert.equal(calls(), 3)
    assert.deepEqual(sleeps, [5, 10])
  })

  it('when every attempt conflicts, then it stops after the last attempt with StoreError conflict', async () => {
    const { sleeps, sleep } = recorder()
    const { calls, attempt } = conflictsThen(Infinity, 'never')
    await assert.rejects(retryOnConflict(attempt, policy, { sleep, random: () => 0.999 }), (error) =>
      error instanceof StoreError && error.kind === 'conflict' && /4 attempts/.test(error.message))
    assert.equal(calls(), 4)
    assert.deepEqual(sleeps, [9, 19, 24])
  })

  it('when the attempt throws anything but a conflict, then that error propagates at once', async () => {
    const { sleeps, sleep } = recorder()
    const thrown = new StoreError('not_found', 'gone')
    let calls = 0
    await assert.rejects(retryOnConflict(async () => { calls++; throw thrown }, policy, { sleep }), (error) => error === thrown)
    assert.equal(calls, 1)
    assert.deepEqual(sleeps, [])
  })

  it('when the default policy is exhausted, then the waiting adds up to at most two seconds', () => {
    const { attempts } = DEFAULT_RETRY_POLICY
    const total = Array.from({ length: attempts - 1 }, (_, i) => backoffCeiling(DEFAULT_RETRY_POLICY, i + 1)).reduce((a, b) => a + b, 0)
    assert.ok(attempts >= 8, `only ${attempts} attempts`)
    assert.ok(total <= 2000, `worst case ${total} ms`)
  })

  it('when retries go on, then the ceiling doubles and is capped', () => {
    assert.deepEqual([1, 2, 3, 4].map((retry) => backoffCeiling(policy, retry)), [10, 20, 25, 25])
  })
})
