// The change feed over a changes log in memory (support/change-log.ts): one feed for every
// client, joining from any position without a gap or a duplicate, whatever is written while
// clients catch up, through store failures.
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import fc from 'fast-check'
import { createChangeFeed, type ChangeFeed } from '../../src/stream/change-feed.js'
import { createChangeLog, idOf, type ChangeLog } from './support/change-log.js'
import { recordingSink, zerglingStates, type RecordingSink } from './support/sse-events.js'

const FAST = { waitMs: 200, batchIntervalMs: 0, retry: { firstMs: 5, maxMs: 20 }, pageSize: 3, replica: 'replica-a' }
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function eventually (what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`)
    await sleep(5)
  }
}

/** The position of the client's `live` event, once it came. */
function livePosition (client: RecordingSink): number | undefined {
  const live = client.events().find(({ event }) => event === 'live')
  return live === undefined ? undefined : Number(live.id)
}

/**
 * What a client must have been sent: for every zergling whose latest change is after `from`,
 * that latest change; never a state twice, never an older one after a newer, positions rising.
 */
function assertComplete (log: ChangeLog, client: RecordingSink, from: number, label: string): void {
  const states = zerglingStates(client.events())
  const positions = states.map(([, , position]) => position)
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b), `${label}: positions rise`)
  assert.equal(new Set(positions).size, positions.length, `${label}: no position twice`)
  assert.ok(positions.every((position) => position > from), `${label}: nothing from before where it started`)
  const last = new Map<string, number>()
  for (const [id, generation] of states) {
    assert.ok((last.get(id) ?? 0) < generation, `${label}: ${id} generation ${generation} came after ${last.get(id)}`)
    last.set(id, generation)
  }
  for (const [id, { seq, generation }] of log.latest()) {
    if (seq > from) assert.equal(last.get(id), generation, `${label}: ${id}'s latest change (at ${seq}) reached it`)
  }
}

/** A log, a feed over it (stopped when the test ends, pass or fail), and `now` clients on it. */
async function started (t: TestContext, nowClients = 0): Promise<{ log: ChangeLog, feed: ChangeFeed, clients: RecordingSink[] }> {
  const log = createChangeLog()
  const feed = createChangeFeed(log.store, FAST)
  t.after(async () => { await feed.stop() })
  const clients = Array.from({ length: nowClients }, () => recordingSink())
  for (const { sink } of clients) await feed.subscribe(sink, 'now')
  return { log, feed, clients }
}

describe('the change feed', { timeout: 120_000 }, () => {
  it('when many clients listen from now, then each gets every later change once, from one read of the feed per batch', async (t) => {
    const { log, feed } = await started(t)
    log.write(1)
    const clients = Array.from({ length: 50 }, () => recordingSink())
    await Promise.all(clients.map(async ({ sink }) => await feed.subscribe(sink, 'now')))
    const readsBefore = log.reads
    for (let n = 0; n < 10; n++) {
      log.write(n % 4)
      await sleep(10)
    }
    await eventually('every client has the last change', () => clients.every((client) => zerglingStates(client.events()).length > 0 && zerglingStates(client.events()).at(-1)![2] === log.seq))
    for (const [i, client] of clients.entries()) assertComplete(log, client, livePosition(client)!, `client ${i}`)
    assert.ok(log.reads - readsBefore <= 25, `${log.reads - readsBefore} reads for 10 changes and 50 clients: one feed, not one per client`)
    assert.deepEqual(clients[0]!.events()[0], { id: '1', event: 'live', data: { replica: 'replica-a' } })
  })

  it('when clients resume from any position on either of two replicas while others write, then none misses a change or gets one twice (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.oneof(
        fc.record({ kind: fc.constant('write' as const), zergling: fc.integer({ min: 1, max: 20 }), deleted: fc.boolean() }),
        fc.record({ kind: fc.constant('join' as const), from: fc.oneof(fc.constant('now'), fc.constant('0'), fc.constant('last')), replica: fc.integer({ min: 0, max: 1 }) }),
        fc.record({ kind: fc.constant('leave' as const) }),
        fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 15 }) })
      ), { minLength: 5, maxLength: 40 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
      async (actions, writesPerRead) => {
        const log = createChangeLog()
        for (let n = 1; n <= 4; n++) log.write(n)
        // Writes land while the feed and the clients read, not only between actions.
        let reads = 0
        log.beforeRead = () => { for (let i = 0; i < writesPerRead[reads++ % writesPerRead.length]!; i++) if (log.seq < 200) log.write((reads * 7 % 20) + 1) }
        // Two replicas on one database: a client may resume on the other one, which may be behind.
        const feeds = [createChangeFeed(log.store, FAST), createChangeFeed(log.store, FAST)]
        try {
          const joined: Array<{ client: RecordingSink, from: number | 'now' }> = []
          const open: RecordingSink[] = []
          for (const action of actions) {
            if (action.kind === 'write') log.write(action.zergling, action.deleted)
            if (action.kind === 'pause') await sleep(action.ms)
            if (action.kind === 'leave') open.shift()?.close()
            if (action.kind === 'join') {
              const previous = joined.at(-1)?.client
              const lastId = previous === undefined ? undefined : previous.events().filter(({ id }) => id !== undefined).at(-1)?.id
              const since = action.from === 'last' ? lastId ?? '0' : action.from
              const client = recordingSink()
              await feeds[action.replica]!.subscribe(client.sink, since)
              joined.push({ client, from: since === 'now' ? 'now' : Number(since) })
              open.push(client)
            }
          }
          log.beforeRead = undefined
          // One last change after every start: each open client must get it.
          log.write(99)
          await eventually('every open client has the last change', () => open.every((client) => zerglingStates(client.events()).at(-1)?.[2] === log.seq))
          await sleep(30)
          for (const [i, { client, from }] of joined.entries()) {
            if (!open.includes(client)) continue
            assertComplete(log, client, from === 'now' ? livePosition(client)! : from, `client ${i} from ${from}`)
          }
        } finally {
          await Promise.all(feeds.map(async (feed) => await feed.stop()))
        }
      }
    ), { numRuns: 60 })
  })

  it('when a client resumes from a position this replica\'s feed has not reached yet (another one was ahead), then it gets nothing twice', async (t) => {
    const { log, feed } = await started(t)
    for (let n = 1; n <= 10; n++) log.write(n)
    const live = recordingSink()
    await feed.subscribe(live.sink, 'now')
    await sleep(20)
    // A burst: the feed reads it three rows at a time, while the client, already at 16, reads 17 alone.
    for (let n = 11; n <= 17; n++) log.write(n)
    const ahead = recordingSink()
    await feed.subscribe(ahead.sink, '16')
    log.write(18)
    await eventually('both have the last change', () => [live, ahead].every((client) => zerglingStates(client.events()).some(([, , position]) => position === 18)))
    await sleep(50)
    assertComplete(log, ahead, 16, 'the client from 16')
    assertComplete(log, live, 10, 'the live client')
  })

  it('when the store fails mid-stream, then clients are told, and once it is back they get what changed meanwhile, once', async (t) => {
    const { log, clients: [client] } = await started(t, 1)
    log.write(1)
    await eventually('the first change', () => zerglingStates(client!.events()).length === 1)
    log.failNext(5)
    log.write(2)
    log.write(1)
    await eventually('the brain is back', () => client!.events().some(({ event, data }) => event === 'brain' && (data as { brain: string }).brain === 'ok'))
    await eventually('both changes', () => zerglingStates(client!.events()).length === 3)
    const brain = client!.events().filter(({ event }) => event === 'brain').map(({ data }) => data)
    assert.deepEqual(brain, [{ brain: 'unavailable', error: 'brain_unavailable', reason: 'CouchDB cannot be reached (scripted).' }, { brain: 'ok' }])
    assertComplete(log, client!, 0, 'the client')
  })

  it('when a client\'s first read fails, then its subscription fails and nothing was written to it; a position the store never handed out fails alone', async (t) => {
    const { log, feed, clients: [other] } = await started(t, 1)
    const bad = recordingSink()
    await assert.rejects(feed.subscribe(bad.sink, 'garbage'), /unknown position/)
    log.failNext(1)
    const unlucky = recordingSink()
    await assert.rejects(feed.subscribe(unlucky.sink, '0'), /scripted/)
    assert.deepEqual([bad.events(), unlucky.events()], [[], []])
    log.write(3)
    await eventually('the other client goes on', () => zerglingStates(other!.events()).length === 1)
  })

  it('when the last client leaves, then the feed stops reading, and a later client from now starts at the end of the log', async (t) => {
    const { log, feed } = await started(t)
    const first = recordingSink()
    const leave = await feed.subscribe(first.sink, 'now')
    leave()
    await sleep(50)
    assert.equal(feed.clients, 0)
    const reads = log.reads
    log.write(1)
    await sleep(300)
    assert.equal(log.reads, reads, 'no reads without clients')
    const later = recordingSink()
    await feed.subscribe(later.sink, 'now')
    assert.equal(livePosition(later), 1)
    log.write(2)
    await eventually('the later change', () => zerglingStates(later.events()).length === 1)
    assert.deepEqual(zerglingStates(later.events()).map(([id]) => id), [idOf(2)])
  })

  it('when a catching-up client has no room, then it is not read for until it has, and then joins without a gap', async (t) => {
    const { log, feed } = await started(t)
    for (let n = 1; n <= 20; n++) log.write(n)
    const slow = recordingSink()
    await feed.subscribe(slow.sink, '0')
    slow.setRoom(false)
    const sent = zerglingStates(slow.events()).length
    await sleep(100)
    assert.equal(zerglingStates(slow.events()).length, sent, 'nothing more while it has no room')
    log.write(21)
    slow.setRoom(true)
    await eventually('it is live', () => livePosition(slow) !== undefined)
    await eventually('the last change', () => zerglingStates(slow.events()).at(-1)?.[2] === 21)
    assertComplete(log, slow, 0, 'the slow client')
  })
})
