// Issue 17, item 4: the fault variables as a chaos run. Unlike outages.test.ts, which needs the
// double's knobs, this runs unchanged against a real CouchDB (COUCHDB_TEST_URL): the faults are
// the service's own. Two replicas answer 30 % of requests `503 fault_injected`, add latency, and
// lose the answer to 30 % of their writes after storing them (`503 outcome_unknown`); clients
// retry every 503 with the same Idempotency-Key on the other replica, as a load balancer would
// send them. Every command is then acknowledged and in the history exactly once.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { send, type Answer } from './support/client.js'
import { startCluster, type Cluster, type Replica } from './support/cluster.js'
import { judge, readTags, readZergling, replay, tagFor, type Outcome } from './support/commands.js'
import { recordLedgerFor } from './support/ledger.js'
import { sleep } from './support/load.js'

recordLedgerFor(import.meta.url)

const FAULTS = { OVERMIND_FAULT_ERROR_RATE: '0.3', OVERMIND_FAULT_LATENCY: '1-10ms', OVERMIND_FAULT_LOST_ANSWER_RATE: '0.3' }
const ZERGLINGS = 3
const COMMANDS = 25

describe('a keyed load against replicas that inject faults', () => {
  let cluster: Cluster
  /** A replica without faults, to read back what was stored. */
  let reader: Replica

  before(async () => {
    cluster = await startCluster({ replicas: 2, databasePrefix: 'reliability-faults', env: FAULTS })
    reader = await cluster.addReplica({ OVERMIND_FAULT_ERROR_RATE: '0', OVERMIND_FAULT_LATENCY: '0', OVERMIND_FAULT_LOST_ANSWER_RATE: '0' })
  })
  after(async () => { await cluster?.close() })

  /** Sends until an answer is not a 503, alternating replicas, with one key; the 503s' errors go into `seen`. */
  async function keyed (path: string, key: string, body: string | undefined, seen: string[]): Promise<Answer> {
    for (let attempt = 0; attempt < 60; attempt++) {
      const replica = cluster.replicas[attempt % cluster.replicas.length]!
      const answer = await send(`${replica.baseUrl}${path}`, { method: 'POST', body, headers: { 'idempotency-key': key } })
      if (answer.status !== 503) return answer
      seen.push(answer.json().error)
      await sleep(20)
    }
    throw new Error(`${path} still answered 503 after 60 tries`)
  }

  it('when every 503 is retried with its key, then every command is acknowledged and stored exactly once, on the double or a real CouchDB', async () => {
    const seen: string[] = []
    const run = `${process.pid}-${Date.now()}`
    const ids = await Promise.all(Array.from({ length: ZERGLINGS }, async (_, z) => {
      const spawned = await keyed('/zerglings/', `faults-spawn-${run}-${z}`, undefined, seen)
      assert.equal(spawned.status, 201, spawned.body)
      return spawned.json().zergling.id as string
    }))
    await Promise.all(ids.map(async (id) => {
      for (let tag = 0; tag < COMMANDS; tag++) {
        const answer = await keyed(`/zerglings/${id}?history=none`, `faults-${run}-${id}-${tag}`, JSON.stringify(tagFor(tag)), seen)
        assert.equal(answer.status, 200, answer.body)
      }
    }))
    for (const id of ids) {
      const stored = await readZergling(reader.baseUrl, id)
      const verdict = judge(new Map(Array.from({ length: COMMANDS }, (_, tag): [number, Outcome] => [tag, 'acknowledged'])), readTags(stored.history))
      assert.deepEqual(verdict, { lost: [], appliedTwice: [], appliedDespiteError: [], strangers: [] }, id)
      assert.deepEqual(replay(stored.history), { location: stored.location, facing: stored.facing })
    }
    assert.ok(seen.includes('fault_injected'), `requests were faulted: ${seen.join(' ')}`)
    assert.ok(seen.includes('outcome_unknown'), `answers were lost: ${seen.join(' ')}`)
    assert.deepEqual(seen.filter((error) => error !== 'fault_injected' && error !== 'outcome_unknown'), [], 'no other failure')
  })
})
