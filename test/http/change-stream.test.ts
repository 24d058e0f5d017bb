// GET /zerglings/_changes over HTTP, on the embedded store and on CouchDB (the double, or a real
// CouchDB 3.4 with COUCHDB_TEST_URL): resuming after a disconnect, replicas sharing a CouchDB,
// an outage of CouchDB in the middle of a stream, bad positions, and what the answer looks like.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { startCuttableProxy } from '../stream/support/cuttable-proxy.js'
import { openStream, statesOf, type SseClient } from '../stream/support/sse-client.js'
import { moveThrough, spawnThrough, startCouchStreamApps, startEmbeddedStreamApp, type StreamApps } from '../stream/support/stream-apps.js'

const isLive = ({ event }: { event: string }): boolean => event === 'live'
/** The zergling an event carries, if it carries one. */
const zerglingOf = ({ data }: { data: unknown }): { id: string, _rev: string, historyLength?: number } | undefined =>
  (data as { zergling?: { id: string, _rev: string, historyLength?: number } }).zergling

/** Per zergling: the generations it was sent in, in order, across every client given. */
function generationsById (...clients: SseClient[]): Map<string, number[]> {
  const byId = new Map<string, number[]>()
  for (const client of clients) for (const [id, generation] of statesOf(client.events)) byId.set(id, [...byId.get(id) ?? [], generation])
  return byId
}

/** Never a state twice nor an older after a newer, and each zergling's last state is its current one. */
async function assertNoGapNoDuplicate (url: string, ids: string[], ...clients: SseClient[]): Promise<void> {
  const byId = generationsById(...clients)
  for (const id of ids) {
    const generations = byId.get(id) ?? []
    assert.deepEqual(generations, [...new Set(generations)].sort((a, b) => a - b), `${id}: each state once, in order`)
    const current = await fetch(`${url}/zerglings/${id}?history=none`)
    const expected = current.status === 404 ? undefined : Number.parseInt(((await current.json()) as { zergling: { _rev: string } }).zergling._rev, 10)
    if (expected !== undefined) assert.equal(generations.at(-1), expected, `${id}: its current state arrived`)
  }
}

for (const kind of ['embedded', 'couchdb'] as const) {
  describe(`the change stream on ${kind === 'embedded' ? 'the embedded store' : 'CouchDB'}`, { timeout: 120_000 }, () => {
    let couch: TestCouch | undefined
    let apps: StreamApps
    let url: string
    before(async () => {
      if (kind === 'couchdb') couch = await startTestCouch()
      apps = kind === 'embedded' ? await startEmbeddedStreamApp({ heartbeatMs: 200 }) : await startCouchStreamApps(couch!, 1, { heartbeatMs: 200 })
      url = apps.replicas[0]!.url
    })
    after(async () => {
      await apps?.close()
      await couch?.close()
    })

    it('when a client disconnects and reconnects with Last-Event-ID while zerglings move, then it gets every change it missed, none twice', async () => {
      const first = await openStream(`${url}/zerglings/_changes`)
      assert.equal(first.status, 200)
      await first.waitFor('live', isLive)
      const ids = [await spawnThrough(url), await spawnThrough(url), await spawnThrough(url)]
      for (const id of ids) await moveThrough(url, id, 'MR')
      await first.waitFor('the last move', (event) => zerglingOf(event)?.id === ids[2] && zerglingOf(event)?.historyLength === 2)
      first.close()
      const lastId = first.lastId()!
      // Missed while away: moves, a spawn and a delete.
      await moveThrough(url, ids[0]!, 'M')
      await moveThrough(url, ids[1]!, 'LLM')
      ids.push(await spawnThrough(url))
      await fetch(`${url}/zerglings/${ids[2]}`, { method: 'DELETE' })
      const second = await openStream(`${url}/zerglings/_changes?since=now`, { 'last-event-id': lastId })
      await second.waitFor('live', isLive)
      await moveThrough(url, ids[0]!, 'M')
      await second.waitFor('the move after reconnecting', (event) => zerglingOf(event)?.id === ids[0] && zerglingOf(event)?.historyLength === 4)
      second.close()
      assert.deepEqual(statesOf(second.events).map(([id]) => id).filter((id) => id === ids[2]), [ids[2]], 'the delete came')
      assert.equal(second.events.find((event) => zerglingOf(event)?.id === ids[2])?.event, 'deleted')
      await assertNoGapNoDuplicate(url, ids, first, second)
    })

    it('when a client starts from 0, then it first gets every zergling\'s latest state, then `live`', async () => {
      const id = await spawnThrough(url)
      await moveThrough(url, id, 'RRM')
      const client = await openStream(`${url}/zerglings/_changes?since=0`)
      const live = await client.waitFor('live', isLive)
      const before = client.events.slice(0, client.events.indexOf(live))
      const mine = before.filter((event) => zerglingOf(event)?.id === id)
      client.close()
      assert.deepEqual(mine.map(({ event, data }) => [event, data]), [['moved', {
        type: 'moved',
        zergling: { id, location: { x: 0, y: -1 }, facing: 'S', historyLength: 3, commandHistory: ['R', 'R', 'M'], _rev: zerglingOf(mine[0]!)!._rev }
      }]])
      assert.match(live.id!, /^[0-9]/)
      assert.deepEqual(live.data, { replica: kind === 'embedded' ? 'embedded' : 'replica-0' })
    })

    it('when the stream is idle, then a heartbeat comment comes regularly', async () => {
      const client = await openStream(`${url}/zerglings/_changes`)
      await client.waitFor('live', isLive)
      const deadline = Date.now() + 5000
      while (!client.text.includes('\n:\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      client.close()
      assert.ok(client.text.includes('\n:\n'), 'a `:` comment line arrived')
    })

    it('when a stream is opened, then it is text/event-stream with the usual security headers, not cached and not kept alive', async () => {
      const client = await openStream(`${url}/zerglings/_changes`)
      client.close()
      assert.equal(client.headers.get('content-type'), 'text/event-stream; charset=utf-8')
      assert.equal(client.headers.get('cache-control'), 'no-store')
      assert.equal(client.headers.get('x-content-type-options'), 'nosniff')
      assert.match(client.headers.get('content-security-policy') ?? '', /default-src 'self'/)
    })

    for (const [what, request] of [
      ['a made-up ?since', { query: '?since=garbage', headers: {} }],
      ['a made-up Last-Event-ID', { query: '', headers: { 'last-event-id': 'not a position' } }]
    ] as const) {
      it(`when the stream is asked for with ${what}, then it answers 400 invalid_cursor in JSON and starts no stream`, async () => {
        const response = await fetch(`${url}/zerglings/_changes${request.query}`, { headers: request.headers })
        assert.equal(response.status, 400)
        assert.equal((await response.json() as { error: string }).error, 'invalid_cursor')
      })
    }

    it('when the stream is asked for with another method or a too long position, then it answers 405 and 400', async () => {
      const post = await fetch(`${url}/zerglings/_changes`, { method: 'POST' })
      assert.equal(post.status, 405)
      assert.equal(post.headers.get('allow'), 'GET, HEAD')
      const long = await fetch(`${url}/zerglings/_changes?since=1-${'a'.repeat(9000)}`)
      assert.equal(long.status, 400)
      assert.equal((await long.json() as { error: string }).error, 'bad_request')
    })
  })
}

describe('the change stream in the API documentation', () => {
  it('when /openapi.json is read, then it describes the stream as text/event-stream, with its events and how to resume', async () => {
    const apps = await startEmbeddedStreamApp()
    try {
      const doc = await (await fetch(`${apps.replicas[0]!.url}/openapi.json`)).json() as { paths: Record<string, { get: { description: string, parameters: Array<{ name?: string }>, responses: Record<string, { content?: Record<string, unknown> }> } }> }
      const stream = doc.paths['/zerglings/_changes']!.get
      assert.ok(stream.responses['200']!.content!['text/event-stream'] !== undefined)
      // Its own parameters; X-Request-Id, which every operation takes, is a shared $ref.
      assert.deepEqual(stream.parameters.flatMap(({ name }) => name ?? []).sort(), ['last-event-id', 'since'])
      for (const event of ['spawned', 'moved', 'deleted', 'live', 'brain', 'dropped', 'closing']) assert.match(stream.description, new RegExp(`\`${event}\``))
    } finally {
      await apps.close()
    }
  })
})

describe('the change stream with replicas on one CouchDB', { timeout: 120_000 }, () => {
  let couch: TestCouch
  before(async () => { couch = await startTestCouch() })
  after(async () => { await couch.close() })

  it('when zerglings move through replica A, then a client of replica B sees them, quickly', async () => {
    const apps = await startCouchStreamApps(couch, 2)
    try {
      const [a, b] = apps.replicas
      const client = await openStream(`${b!.url}/zerglings/_changes`)
      await client.waitFor('live', isLive)
      const id = await spawnThrough(a!.url)
      const sentAt = Date.now()
      const generation = await moveThrough(a!.url, id, 'M')
      await client.waitFor('the move made through A', (event) => zerglingOf(event)?._rev.startsWith(`${generation}-`) === true)
      const delay = Date.now() - sentAt
      client.close()
      assert.ok(delay < 5000, `it took ${delay} ms`)
      await assertNoGapNoDuplicate(a!.url, [id], client)
    } finally {
      await apps.close()
    }
  })

  it('when a replica cannot reach CouchDB for a while, then its clients are told, and once it is back they get every change made meanwhile, once', async () => {
    const proxy = await startCuttableProxy(couch.url)
    // One database, two replicas: A through the proxy that will be cut, B straight to CouchDB.
    const apps = await startCouchStreamApps(couch, [{ via: proxy.url, requestTimeoutMs: 1000 }, {}], { retry: { firstMs: 100, maxMs: 400 } })
    try {
      const [a, b] = apps.replicas
      const client = await openStream(`${a!.url}/zerglings/_changes`)
      await client.waitFor('live', isLive)
      const id = await spawnThrough(a!.url)
      await client.waitFor('the spawn', ({ event }) => event === 'spawned')
      await proxy.cut()
      const failed = await fetch(`${a!.url}/zerglings/${id}`, { method: 'POST', body: '"M"' })
      assert.equal(failed.status, 503, 'the cut replica cannot write')
      await client.waitFor('brain unavailable', ({ event, data }) => event === 'brain' && (data as { brain: string }).brain === 'unavailable')
      // Meanwhile another replica still reaches CouchDB and writes.
      await moveThrough(b!.url, id, 'MMR')
      await proxy.restore()
      await client.waitFor('brain ok', ({ event, data }) => event === 'brain' && (data as { brain: string }).brain === 'ok', 15_000)
      await client.waitFor('the move made during the outage', (event) => zerglingOf(event)?.historyLength === 3, 15_000)
      client.close()
      await assertNoGapNoDuplicate(b!.url, [id], client)
    } finally {
      await apps.close()
      await proxy.close()
    }
  })
})
