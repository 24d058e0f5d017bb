// The freeze gate on its own: the order in which frozen requests are let through.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createFreezeGate } from './freeze-gate.js'

test('when frozen requests are thawed then they go through one at a time in arrival order, and later arrivals queue behind them', async () => {
  const gate = createFreezeGate()
  const log: string[] = []
  const leaves: Array<() => void> = []
  const arrive = (name: string): void => {
    gate.enter().then((leave) => {
      log.push(name)
      if (leave !== undefined) leaves.push(leave)
    }, assert.fail)
  }
  gate.freeze()
  arrive('a')
  arrive('b')
  await Promise.resolve()
  assert.deepEqual(log, [], 'nothing passes while frozen')
  gate.thaw()
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(log, ['a'], 'b waits until a is handled')
  arrive('c')
  leaves.shift()?.()
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(log, ['a', 'b'])
  leaves.shift()?.()
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(log, ['a', 'b', 'c'])
  leaves.shift()?.()
  arrive('d')
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(log, ['a', 'b', 'c', 'd'], 'open again once the queue is empty')
})

test('when the gate is dropped then the waiting requests are told to give up', async () => {
  const gate = createFreezeGate()
  gate.freeze()
  const waiting = gate.enter()
  gate.drop()
  assert.equal(await waiting, undefined)
})
