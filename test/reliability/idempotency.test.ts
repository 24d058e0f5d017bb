// Issue 5, item 2: retries are safe. A request repeated with the same Idempotency-Key and body
// answers the first response again (status, body with `_rev`, `Idempotent-Replayed: true`) and
// applies nothing again, on whichever replica it lands; the same key with another body is 422.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { send, type Answer } from './support/client.js'
import { startCluster, type Cluster } from './support/cluster.js'
import { readZergling } from './support/commands.js'
import { recordLedgerFor, ledger } from './support/ledger.js'
import { tally } from './support/load.js'
import { secretHits } from './support/secrets.js'

recordLedgerFor(import.meta.url)

describe('Idempotency-Key across two replicas', () => {
  let cluster: Cluster
  let a: string
  let b: string
  let n = 0
  const key = (): string => `retry-${process.pid}-${++n}-${Date.now()}`

  before(async () => {
    cluster = await startCluster({ replicas: 2, databasePrefix: 'reliability-idempotency' })
    a = cluster.replicas[0]!.baseUrl
    b = cluster.replicas[1]!.baseUrl
  })
  after(async () => { await cluster?.close() })

  async function spawn (): Promise<string> {
    const answer = await send(`${a}/zerglings/`, { method: 'POST' })
    assert.equal(answer.status, 201)
    return answer.json().zergling.id
  }

  async function listAll (): Promise<string[]> {
    const answer = await send(`${a}/zerglings/?limit=1000`)
    assert.equal(answer.status, 200)
    return answer.json().zerglings.map((z: { id: string }) => z.id)
  }

  function assertReplayOf (first: Answer, again: Answer): void {
    assert.equal(again.status, first.status, 'the same status')
    assert.deepEqual(again.json(), first.json(), 'the same body, `_rev` included')
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.equal(first.headers['idempotent-replayed'], undefined, 'the first answer is not a replay')
  }

  it('when a spawn is repeated with its key on the other replica, then the first answer comes back and no second zergling exists', async () => {
    const k = key()
    const before = await listAll()
    const first = await send(`${a}/zerglings/`, { method: 'POST', headers: { 'idempotency-key': k } })
    assert.equal(first.status, 201)
    const again = await send(`${b}/zerglings/`, { method: 'POST', headers: { 'idempotency-key': k } })
    assertReplayOf(first, again)
    assert.equal(again.headers.location, first.headers.location)
    const added = (await listAll()).filter((id) => !before.includes(id))
    assert.deepEqual(added, [first.json().zergling.id])
  })

  it('when a command is repeated with its key on the other replica, then the first answer comes back, `_rev` included, and the history holds it once', async () => {
    const id = await spawn()
    const k = key()
    const first = await send(`${a}/zerglings/${id}`, { body: '"LM"', headers: { 'idempotency-key': k } })
    assert.equal(first.status, 200)
    const again = await send(`${b}/zerglings/${id}/_action`, { body: '"LM"', headers: { 'idempotency-key': k } })
    assertReplayOf(first, again)
    const third = await send(`${a}/zerglings/${id}`, { body: '"LM"', headers: { 'idempotency-key': k } })
    assertReplayOf(first, third)
    const stored = await readZergling(b, id)
    ledger.add({ appliedTwice: stored.history.length > 2 ? 1 : 0, lost: stored.history.length < 2 ? 1 : 0 })
    assert.deepEqual(stored.history, ['L', 'M'])
  })

  it('when a key is reused with another body, then it answers 422 idempotency_key_reused and applies nothing', async () => {
    const id = await spawn()
    const k = key()
    assert.equal((await send(`${a}/zerglings/${id}`, { body: '"M"', headers: { 'idempotency-key': k } })).status, 200)
    const reused = await send(`${b}/zerglings/${id}`, { body: '"R"', headers: { 'idempotency-key': k } })
    assert.equal(reused.status, 422)
    assert.equal(reused.json().error, 'idempotency_key_reused')
    assert.equal(typeof reused.json().reason, 'string')
    assert.deepEqual((await readZergling(a, id)).history, ['M'])
  })

  it('when the same keyed command is sent six times at once over both replicas, then it is applied once and every answer is that one answer', async () => {
    const id = await spawn()
    const k = key()
    const answers = await Promise.all(Array.from({ length: 6 }, async (_, i) =>
      await send(`${i % 2 === 0 ? a : b}/zerglings/${id}`, { body: '"M"', headers: { 'idempotency-key': k }, timeoutMs: 30_000 })))
    const stored = await readZergling(a, id)
    ledger.add({ appliedTwice: stored.history.length > 1 ? 1 : 0 })
    assert.deepEqual(stored.history, ['M'], 'applied exactly once')
    assert.deepEqual(tally(answers), { 200: 6 })
    const bodies = new Set(answers.map((answer) => answer.body))
    assert.equal(bodies.size, 1, 'every answer is the first one')
    assert.equal(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true').length, 5)
  })

  for (const [what, value] of [['201 characters long', 'k'.repeat(201)], ['empty', ''], ['not printable ASCII', 'clé-unicode']] as const) {
    it(`when the key is ${what}, then it answers 400 and applies nothing`, async () => {
      const id = await spawn()
      const answer = await send(`${a}/zerglings/${id}`, { body: '"M"', headers: { 'idempotency-key': value } })
      assert.equal(answer.status, 400)
      assert.deepEqual((await readZergling(a, id)).history, [])
    })
  }

  it('then no response and no log line carried the password', async () => {
    await cluster.close()
    assert.deepEqual(secretHits(), [])
  })
})
