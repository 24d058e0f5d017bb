// Issue 5, item 1: three `overmind serve` replicas on one CouchDB. Concurrent commands on one
// zergling, spread over the replicas, are all stored exactly once, and the stored state is what
// replaying the history gives; concurrent spawns get unique ids; the same holds on 50 zerglings.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { send, type Answer } from './support/client.js'
import { startCluster, type Cluster } from './support/cluster.js'
import { readZergling, replay } from './support/commands.js'
import { recordLedgerFor, ledger } from './support/ledger.js'
import { countLetters, randomLetter, seededRandom, tally } from './support/load.js'
import { secretHits } from './support/secrets.js'

recordLedgerFor(import.meta.url)

/**
 * Single-letter commands cannot be told apart, so they are judged by counts: per letter, the
 * history must hold exactly as many as were acknowledged (fewer: lost; more: doubled, or applied
 * although the client was told it failed).
 */
function judgeLetters (sent: ReadonlyArray<{ letter: string, answer: Answer }>, history: readonly string[]): { lost: number, extra: number } {
  const acknowledged = countLetters(sent.filter(({ answer }) => answer.status === 200).map(({ letter }) => letter))
  const stored = countLetters(history)
  let lost = 0
  let extra = 0
  for (const letter of ['L', 'R', 'M']) {
    lost += Math.max(0, acknowledged[letter]! - stored[letter]!)
    extra += Math.max(0, stored[letter]! - acknowledged[letter]!)
  }
  const failed = sent.some(({ answer }) => answer.status !== 200)
  ledger.add({ lost, ...(failed ? { appliedDespiteError: extra } : { appliedTwice: extra }) })
  return { lost, extra }
}

async function spawn (baseUrl: string): Promise<string> {
  const answer = await send(`${baseUrl}/zerglings/`, { method: 'POST' })
  assert.equal(answer.status, 201, `spawning answered ${answer.status}`)
  return answer.json().zergling.id
}

describe('three replicas on one CouchDB', () => {
  let cluster: Cluster
  const url = (i: number): string => cluster.replicas[i % cluster.replicas.length]!.baseUrl

  before(async () => { cluster = await startCluster({ replicas: 3, databasePrefix: 'reliability-replicas' }) })
  after(async () => { await cluster?.close() })

  it('when 3 × 200 commands hit one zergling at once, then all 600 are answered 200, the history has exactly 600 entries and replaying it gives the stored state', async () => {
    const id = await spawn(url(0))
    const random = seededRandom(600)
    const letters = Array.from({ length: 600 }, () => randomLetter(random))
    const answers = await Promise.all(letters.map(async (letter, i) => await send(`${url(i)}/zerglings/${id}`, { body: JSON.stringify(letter), timeoutMs: 60_000 })))

    const { history, location, facing } = await readZergling(url(1), id)
    const { lost, extra } = judgeLetters(letters.map((letter, i) => ({ letter, answer: answers[i]! })), history)
    assert.equal(lost, 0, 'no acknowledged command is missing from the history')
    assert.equal(extra, 0, 'no command is in the history more often than it was acknowledged')
    assert.deepEqual(tally(answers), { 200: 600 })
    assert.equal(history.length, 600)
    assert.deepEqual({ location, facing }, replay(history))
  })

  it('when 3 × 50 spawns run at once, then each answers 201 with its own id and every replica lists all of them', async () => {
    const answers = await Promise.all(Array.from({ length: 150 }, async (_, i) => await send(`${url(i)}/zerglings/`, { method: 'POST', timeoutMs: 60_000 })))
    assert.deepEqual(tally(answers), { 201: 150 })
    const ids = answers.map((answer) => answer.json().zergling.id as string)
    assert.equal(new Set(ids).size, 150, 'no id was handed out twice')
    for (let r = 0; r < 3; r++) {
      const listed = new Set<string>()
      let cursor: string | undefined
      for (let page = 0; page < 20; page++) {
        const answer = await send(`${url(r)}/zerglings/?limit=1000${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)
        assert.equal(answer.status, 200)
        for (const zergling of answer.json().zerglings) listed.add(zergling.id)
        cursor = answer.json().next
        if (cursor === undefined) break
      }
      assert.deepEqual(ids.filter((id) => !listed.has(id)), [], `replica ${r} lists every spawned zergling`)
    }
  })

  it('when 50 zerglings get 12 commands each at once over the three replicas, then every history holds exactly its 12 and replays to the stored state', async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, async (_, i) => await spawn(url(i))))
    const random = seededRandom(50)
    const work = ids.flatMap((id) => Array.from({ length: 12 }, () => ({ id, letter: randomLetter(random) })))
    const answers = await Promise.all(work.map(async ({ id, letter }, i) => await send(`${url(i)}/zerglings/${id}`, { body: JSON.stringify(letter), timeoutMs: 60_000 })))

    const problems: string[] = []
    for (const [z, id] of ids.entries()) {
      const { history, location, facing } = await readZergling(url(z), id)
      const sent = work.map((item, i) => ({ ...item, answer: answers[i]! })).filter((item) => item.id === id)
      const { lost, extra } = judgeLetters(sent, history)
      if (lost > 0 || extra > 0) problems.push(`${id}: ${lost} lost, ${extra} extra`)
      assert.deepEqual({ location, facing }, replay(history), `zergling ${id} stands where its history leads`)
    }
    assert.deepEqual(problems, [], 'every acknowledged command is stored exactly once')
    assert.deepEqual(tally(answers), { 200: 600 })
  })

  it('then no response and no log line carried the password', async () => {
    await cluster.close()
    assert.deepEqual(secretHits(), [])
  })
})
