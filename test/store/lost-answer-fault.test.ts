// OVERMIND_FAULT_LOST_ANSWER_RATE on both stores (the embedded one, and CouchDB: the double, or a
// real server with COUCHDB_TEST_URL, since the fault needs no double-only knob): a write is stored
// and its answer lost, the client is told `outcome_unknown`, and a retry with the same
// Idempotency-Key settles it. With the HTTP faults on too (the fault test), a keyed client
// still gets every command applied exactly once.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { FaultConfig, StoreConfig } from '../../src/config.js'
import { createApp } from '../../src/http/app.js'
import { openStore } from '../../src/store/open-store.js'
import { seededRandom } from '../support/seeded-random.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

for (const kind of ['embedded', 'CouchDB'] as const) {
  describe(`lost answers injected on the ${kind} store`, () => {
    let couch: TestCouch | undefined
    let dataDir = ''
    const apps: FastifyInstance[] = []

    before(async () => {
      if (kind === 'CouchDB') couch = await startTestCouch()
      else dataDir = await mkdtemp(join(tmpdir(), 'overmind-lost-answers-'))
    })
    after(async () => {
      await Promise.all(apps.map(async (app) => await app.close()))
      await couch?.close()
      if (dataDir !== '') await rm(dataDir, { recursive: true, force: true })
    })

    /** An app on a fresh database with these faults, each drawing from its own seeded source. */
    async function appWith (faults: FaultConfig, seed: number): Promise<FastifyInstance> {
      const database = `lost-answers-${apps.length}`
      let config: StoreConfig = { kind: 'embedded', dataDir, database }
      if (couch !== undefined) {
        const name = couch.uniqueDatabaseName('lost-answers')
        const created = await fetch(`${couch.url}/${name}`, { method: 'PUT', headers: { authorization: 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64') } })
        await created.arrayBuffer()
        assert.equal(created.status, 201)
        config = { kind: 'couchdb', couch: { url: couch.url, username: couch.username, password: couch.password, database: name, requestTimeoutMs: 5000 } }
      }
      const store = await openStore(config, { lostAnswers: { rate: faults.lostAnswerRate, random: seededRandom(seed) } })
      const app = await createApp({ store, faults: { faults, random: seededRandom(seed + 1) } })
      apps.push(app)
      return app
    }

    const move = (id: string, commands: string, headers: Record<string, string> = {}): InjectOptions =>
      ({ method: 'POST', url: `/zerglings/${id}?history=none`, payload: JSON.stringify(commands), headers: { 'content-type': 'application/json', ...headers } })

    /**
     * As the CLI's client does it (src/cli/client/api-client.ts): tries until the answer is not a
     * 503, a write with the same Idempotency-Key every time; each 503's error goes into `seen`.
     */
    async function retrying (app: FastifyInstance, request: InjectOptions, seen: string[]): Promise<LightMyRequestResponse> {
      const headers = request.method === 'POST' ? { ...request.headers, 'idempotency-key': randomUUID() } : request.headers
      for (let attempt = 0; attempt < 50; attempt++) {
        const answer = await app.inject({ ...request, headers })
        if (answer.statusCode !== 503) return answer
        assert.equal(answer.headers['retry-after'], '1')
        seen.push(answer.json().error)
      }
      throw new Error('still 503 after 50 tries')
    }

    it('when every write\'s answer is lost, then a command answers 503 outcome_unknown though it was stored, and its retry with the key is a replay', async () => {
      const app = await appWith({ errorRate: 0, lostAnswerRate: 1 }, 1)
      const spawn = await app.inject({ method: 'POST', url: '/zerglings/', headers: { 'idempotency-key': 'spawn-1' } })
      assert.equal(spawn.statusCode, 503)
      assert.equal(spawn.json().error, 'outcome_unknown')
      const again = await app.inject({ method: 'POST', url: '/zerglings/', headers: { 'idempotency-key': 'spawn-1' } })
      assert.equal(again.statusCode, 201, 'the spawn was stored: the retry meets it')
      assert.equal(again.headers['idempotent-replayed'], 'true')
      const id: string = again.json().zergling.id

      const first = await app.inject(move(id, 'MM', { 'idempotency-key': 'move-1' }))
      assert.equal(first.json().error, 'outcome_unknown')
      assert.match(first.json().reason, /Idempotency-Key/)
      const retried = await app.inject(move(id, 'MM', { 'idempotency-key': 'move-1' }))
      assert.equal(retried.statusCode, 200)
      assert.equal(retried.headers['idempotent-replayed'], 'true')
      assert.deepEqual(retried.json().zergling.location, { x: 0, y: 2 })
      const read = (await app.inject({ url: `/zerglings/${id}` })).json().zergling
      assert.deepEqual([read.historyLength, read.commandHistory], [2, ['M', 'M']], 'stored once')
    })

    it('when a client without a key is told outcome_unknown, then the change was stored all the same (the fault comes after the write)', async () => {
      const app = await appWith({ errorRate: 0, lostAnswerRate: 1 }, 2)
      const spawn = await app.inject({ method: 'POST', url: '/zerglings/' })
      assert.equal(spawn.json().error, 'outcome_unknown')
      const listed = (await app.inject({ url: '/zerglings/' })).json().zerglings
      assert.equal(listed.length, 1, 'the spawn whose answer was lost is there')
      const moved = await app.inject(move(listed[0].id, 'M'))
      assert.equal(moved.json().error, 'outcome_unknown')
      const read = (await app.inject({ url: `/zerglings/${listed[0].id}` })).json().zergling
      assert.deepEqual([read.historyLength, read.location], [1, { x: 0, y: 1 }], 'the command whose answer was lost is stored')
    })

    it('when 30 % of requests are faulted, latency is on and 30 % of writes lose their answer, then a keyed client gets every command applied exactly once', async () => {
      const app = await appWith({ errorRate: 0.3, latency: { minMs: 0, maxMs: 3 }, lostAnswerRate: 0.3 }, 42)
      const seen: string[] = []
      const spawned = await retrying(app, { method: 'POST', url: '/zerglings/' }, seen)
      assert.equal(spawned.statusCode, 201)
      const id: string = spawned.json().zergling.id
      const sent = ['M', 'R', 'M', 'M', 'L', 'LM', 'M', 'RRM', 'M', 'L', 'M', 'M', 'R', 'MM', 'L', 'M', 'M', 'R', 'M', 'M']
      for (const commands of sent) {
        const answer = await retrying(app, move(id, commands), seen)
        assert.equal(answer.statusCode, 200, answer.body)
      }
      const zergling = (await retrying(app, { url: `/zerglings/${id}?history=all` }, seen)).json().zergling
      assert.equal(zergling.historyLength, sent.join('').length)
      assert.equal(zergling.commandHistory.join(''), sent.join(''))
      assert.deepEqual({ location: zergling.location, facing: zergling.facing }, expectedEnd(sent.join('')))
      assert.ok(seen.includes('fault_injected'), `requests were faulted: ${seen.join(' ')}`)
      assert.ok(seen.includes('outcome_unknown'), `answers were lost: ${seen.join(' ')}`)
      assert.deepEqual(seen.filter((error) => error !== 'fault_injected' && error !== 'outcome_unknown'), [], 'no other failure')
    })
  })
}

/** Where Mars-rover commands from (0,0) facing N end, worked out here without the domain code. */
function expectedEnd (commands: string): { location: { x: number, y: number }, facing: string } {
  const compass = ['N', 'E', 'S', 'W']
  const steps = [[0, 1], [1, 0], [0, -1], [-1, 0]]
  let x = 0
  let y = 0
  let facing = 0
  for (const command of commands) {
    if (command === 'L') facing = (facing + 3) % 4
    if (command === 'R') facing = (facing + 1) % 4
    if (command === 'M') {
      x += steps[facing]![0]!
      y += steps[facing]![1]!
    }
  }
  return { location: { x, y }, facing: compass[facing]! }
}
