// OVERMIND_FAULT_ERROR_RATE and OVERMIND_FAULT_LATENCY at the HTTP edge: a faulted request is
// answered 503 with Retry-After before it reaches the store, only API paths are touched, and the
// draws come from the injected random source (seeded here, so every run is the same).
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'
import { countingRandom, seededRandom } from '../support/seeded-random.js'

describe('fault injection at the HTTP edge', () => {
  const started: EmbeddedApp[] = []
  after(async () => { await Promise.all(started.map(async (embedded) => await embedded.close())) })
  const start = async (...args: Parameters<typeof startEmbeddedApp>): Promise<EmbeddedApp> => {
    const embedded = await startEmbeddedApp(...args)
    started.push(embedded)
    return embedded
  }

  it('when every request is faulted, then a spawn and a command answer 503 fault_injected with Retry-After and nothing is stored', async () => {
    const { app, store } = await start(undefined, { faults: { faults: { errorRate: 1 } } })
    const { result: zergling } = await store.spawn()
    const spawn = await app.inject({ method: 'POST', url: '/zerglings/' })
    assert.equal(spawn.statusCode, 503)
    assert.equal(spawn.headers['retry-after'], '1')
    assert.equal(spawn.json().error, 'fault_injected')
    assert.match(spawn.json().reason, /OVERMIND_FAULT_ERROR_RATE.*nothing was changed/)
    const move = await app.inject({ method: 'POST', url: `/zerglings/${zergling.id}`, payload: '"M"', headers: { 'content-type': 'application/json' } })
    assert.equal(move.json().error, 'fault_injected')
    const stored = await store.list({ limit: 10 })
    assert.deepEqual(stored.zerglings.map(({ id }) => id), [zergling.id], 'no second zergling')
    assert.equal((await store.get(zergling.id, 'none')).historyLength, 0, 'no command applied')
  })

  it('when every request is faulted, then probes, metrics, the docs, the web map and a CORS preflight still answer, without a draw', async () => {
    const { random, draws } = countingRandom(() => 0)
    const { app } = await start(undefined, { policy: { corsOrigins: ['https://app.example'] }, faults: { faults: { errorRate: 1, latency: { minMs: 1, maxMs: 1 } }, random } })
    for (const url of ['/livez', '/readyz', '/_health', '/metrics', '/openapi.json', '/']) {
      assert.equal((await app.inject({ url })).statusCode, 200, url)
    }
    const preflight = await app.inject({ method: 'OPTIONS', url: '/zerglings/', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
    assert.equal(preflight.statusCode, 204)
    assert.equal(draws(), 0)
    assert.equal((await app.inject({ url: '/zerglings?limit=1' })).statusCode, 503, 'a query right after /zerglings is the API too')
  })

  it('when the error rate is 0.3, then about three requests in ten are faulted and the rest answered', async () => {
    const { app } = await start(undefined, { faults: { faults: { errorRate: 0.3 }, random: seededRandom(17) } })
    const statuses: number[] = []
    for (let i = 0; i < 200; i++) statuses.push((await app.inject({ url: '/zerglings/' })).statusCode)
    const faulted = statuses.filter((status) => status === 503).length
    assert.equal(faulted + statuses.filter((status) => status === 200).length, 200)
    assert.ok(faulted >= 40 && faulted <= 80, `${faulted} of 200 faulted`)
  })

  it('when a latency range is set, then an API request waits at least its lower bound, drawn per request', async () => {
    const { random, draws } = countingRandom(seededRandom(3))
    const { app } = await start(undefined, { faults: { faults: { errorRate: 0, latency: { minMs: 60, maxMs: 80 } }, random } })
    const began = performance.now()
    const answer = await app.inject({ url: '/zerglings/' })
    // Only a lower bound: a loaded machine makes it slower, never faster.
    assert.ok(performance.now() - began >= 55, 'delayed')
    assert.equal(answer.statusCode, 200)
    assert.equal(draws(), 1, 'one draw for the delay, none for an error rate of 0')
  })
})
