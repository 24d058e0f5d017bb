// Issue 5, item 4: SIGTERM to one of three replicas in the middle of a load. No request it had
// already accepted fails; clients whose request found it gone retry with the same
// Idempotency-Key on another replica, and no command is lost or applied twice.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { send, describeAnswer, type Answer } from './support/client.js'
import { startCluster, type Cluster } from './support/cluster.js'
import { judge, readTags, readZergling, replay, tagFor, type Outcome } from './support/commands.js'
import { recordLedgerFor, ledger } from './support/ledger.js'
import { sleep } from './support/load.js'
import { secretHits } from './support/secrets.js'

recordLedgerFor(import.meta.url)

interface Attempt { zergling: string, tag: number, replica: number, answer: Answer }

/** Request ids a replica logged as incoming but never as completed (pino's request log at info). */
function unansweredRequests (log: string): string[] {
  const open = new Set<string>()
  for (const line of log.split('\n')) {
    const entry = /"reqId":"([^"]+)".*"msg":"(incoming request|request completed)"/.exec(line)
    if (entry === null) continue
    if (entry[2] === 'incoming request') open.add(entry[1]!)
    else open.delete(entry[1]!)
  }
  return [...open]
}

describe('when a replica is terminated during a load', () => {
  let cluster: Cluster
  before(async () => {
    cluster = await startCluster({ replicas: 3, databasePrefix: 'reliability-restarts', env: { OVERMIND_SHUTDOWN_TIMEOUT_MS: '15000' } })
  })
  after(async () => { await cluster?.close() })

  it('then no in-flight request fails and commands retried with their key on another replica are stored exactly once', async () => {
    const urls = cluster.replicas.map((replica) => replica.baseUrl)
    const zerglings: string[] = []
    for (let i = 0; i < 6; i++) zerglings.push((await send(`${urls[i % 3]}/zerglings/`, { method: 'POST' })).json().zergling.id)

    const attempts: Attempt[] = []
    const acknowledged = new Map<string, Set<number>>(zerglings.map((z) => [z, new Set()]))
    const sentTags = new Map<string, Set<number>>(zerglings.map((z) => [z, new Set()]))
    const state = { running: true }
    // One client per zergling: each command goes to the next replica; a refused connection or a
    // 503 is retried with the same key on the replica after it (at most 12 attempts).
    const clients = zerglings.map(async (zergling, z) => {
      let next = z
      for (let tag = 0; state.running && tag < 400; tag++) {
        sentTags.get(zergling)!.add(tag)
        for (let attempt = 0; attempt < 12; attempt++) {
          const replica = next++ % 3
          const answer = await send(`${urls[replica]}/zerglings/${zergling}`, {
            body: JSON.stringify(tagFor(tag)),
            headers: { 'idempotency-key': `${zergling}-${tag}` },
            timeoutMs: 30_000,
            resetJudgedByCaller: replica === 0
          })
          attempts.push({ zergling, tag, replica, answer })
          if (answer.status === 200) {
            acknowledged.get(zergling)!.add(tag)
            break
          }
          await sleep(50)
        }
        await sleep(10)
      }
    })

    // A load by count, not by time: on a loaded machine a second may carry only a few requests.
    const attemptsReach = async (count: number, atLeastMs: number): Promise<void> => {
      const started = Date.now()
      while ((attempts.length < count || Date.now() - started < atLeastMs) && Date.now() - started < 30_000) await sleep(50)
    }
    await attemptsReach(40, 1000)
    const terminating = cluster.replicas[0]!
    const terminatedAt = Date.now()
    const exitCode = await terminating.kill('SIGTERM')
    const exitedAfterMs = Date.now() - terminatedAt
    await attemptsReach(attempts.length + 40, 1000)
    state.running = false
    await Promise.all(clients)

    assert.equal(exitCode, 0, 'the terminated replica exits cleanly')
    assert.ok(exitedAfterMs < 15_000, `it exited within its shutdown timeout (${exitedAfterMs} ms)`)
    const toTerminated = attempts.filter((a) => a.replica === 0)
    assert.ok(toTerminated.some((a) => a.answer.status === 200), 'the terminated replica served part of the load')
    // A connection that reaches the terminated replica in the instant its listener closes is reset
    // by the kernel (it sat in the accept queue and no request of it was ever read): for the
    // client that is ECONNRESET, like a refused connection. Whether the replica had the request
    // is told by its own log: every request it logged as incoming, it also answered.
    // The ledger counts such a reset as a refusal only with that evidence, as an in-flight failure without it.
    const unanswered = unansweredRequests(terminating.output())
    const resetsByTerminated = toTerminated.filter((a) => a.answer.error === 'ECONNRESET' && a.answer.wasSent).length
    ledger.add({ serverErrors: unanswered.length > 0 ? resetsByTerminated : 0 })
    const broken = attempts.filter(({ answer, replica }) => !(answer.status === 200 || answer.status === 503 || answer.error === 'ECONNREFUSED' || (replica === 0 && answer.error === 'ECONNRESET')))
    assert.deepEqual(broken.map((a) => `replica ${a.replica}: ${describeAnswer(a.answer)}`), [], 'no request failed once a replica had it: only 200, a refused connection, or a 503 before any work')
    assert.deepEqual(unanswered, [], 'the terminated replica answered every request it had read')
    const unacknowledged = zerglings.flatMap((z) => [...sentTags.get(z)!].filter((tag) => !acknowledged.get(z)!.has(tag)))
    assert.deepEqual(unacknowledged, [], 'every command was acknowledged by some replica after its retries')

    const problems: string[] = []
    for (const zergling of zerglings) {
      const stored = await readZergling(urls[1]!, zergling)
      const outcomes = new Map<number, Outcome>([...sentTags.get(zergling)!].map((tag) => [tag, acknowledged.get(zergling)!.has(tag) ? 'acknowledged' : 'failed']))
      const verdict = judge(outcomes, readTags(stored.history))
      ledger.add({ lost: verdict.lost.length, appliedTwice: verdict.appliedTwice.length + verdict.strangers.length, appliedDespiteError: verdict.appliedDespiteError.length })
      if (verdict.lost.length + verdict.appliedTwice.length + verdict.strangers.length > 0) problems.push(`${zergling}: lost ${verdict.lost.join(',')} twice ${verdict.appliedTwice.join(',')}`)
      assert.deepEqual({ location: stored.location, facing: stored.facing }, replay(stored.history))
    }
    assert.deepEqual(problems, [], 'nothing lost, nothing doubled')
    assert.ok(attempts.length > 60, `a real load ran (${attempts.length} requests)`)
  })

  it('then no response and no log line carried the password', async () => {
    await cluster.close()
    assert.deepEqual(secretHits(), [])
  })
})
