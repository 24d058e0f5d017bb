// The web map's model of the swarm (web/map/swarm.js, view.js), without a browser: trails walked
// back from the last commands, newer revisions winning whatever order states arrive in, and the
// box the map fits to.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
// @ts-expect-error -- plain JS for the browser, type-checked on its own (`tsc -p web`)
import { createSwarm, trailOf } from '../../web/map/swarm.js'
// @ts-expect-error -- as above
import { fitBox } from '../../web/map/view.js'

describe('the web map\'s swarm', () => {
  it('when a zergling obeyed MMRMM from (0,0) facing N, then its trail walks back to where it started', () => {
    assert.deepEqual(trailOf({ x: 2, y: 2 }, 'E', ['M', 'M', 'R', 'M', 'M']), [{ x: 0, y: 0 }, { x: 0, y: 1 }, { x: 0, y: 2 }, { x: 1, y: 2 }, { x: 2, y: 2 }])
    assert.deepEqual(trailOf({ x: -1, y: 0 }, 'S', ['L', 'M', 'L']), [{ x: 0, y: 0 }, { x: -1, y: 0 }])
  })

  it('when states arrive out of order or twice, then the newest revision stays, and a delete is not undone by an older state', () => {
    const swarm = createSwarm()
    const id = 'c4a24574-4ca8-4fbd-93e1-2a648147a71f'
    assert.equal(swarm.put({ id, location: { x: 0, y: 2 }, facing: 'N', historyLength: 2, _rev: '3-b' }), true)
    assert.equal(swarm.put({ id, location: { x: 0, y: 1 }, facing: 'N', historyLength: 1, _rev: '2-a' }), false)
    assert.equal(swarm.put({ id, location: { x: 0, y: 2 }, facing: 'N', historyLength: 2, _rev: '3-b' }), false)
    assert.equal(swarm.zerglings.get(id)?.y, 2)
    assert.equal(swarm.remove(id, '4-c'), true)
    assert.equal(swarm.put({ id, location: { x: 0, y: 2 }, facing: 'N', _rev: '3-b' }), false)
    assert.equal(swarm.put({ id, location: { x: 0, y: 0 }, facing: 'N', _rev: '5-d' }), true, 'a new life of the id (a keyed spawn after the delete)')
  })

  it('when the map fits the swarm, then every zergling is inside with a margin, and a lone one gets a readable area', () => {
    const box = fitBox([{ x: -20, y: 3 }, { x: 15, y: -8 }])
    assert.ok(box.x < -20 && box.x + box.width > 15 && box.y < -3 && box.y + box.height > 8)
    assert.deepEqual(fitBox([{ x: 0, y: 0 }]), { x: -6, y: -6, width: 12, height: 12 })
  })
})
