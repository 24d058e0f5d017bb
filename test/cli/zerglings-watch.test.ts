// `overmind zerglings watch`: the change stream when the service has one (the service's own, and a
// small fake SSE server that hangs up on cue), resumed with Last-Event-ID after a disconnect;
// polling, said on stderr, when the service answers `GET /zerglings/_changes` with anything else
// (an overmind from before the stream, modelled by a proxy that answers that path 404).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startBinary, waitForOutput, type BinaryRun } from '../support/overmind-binary.js'
import { serveEmbedded, type ServedInstance } from '../support/served-instance.js'
import { forwardTo, listenOnLoopback, type Listening } from '../support/loopback-server.js'

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '')
const zergling = (id: string, x: number, historyLength: number): object => ({ id, location: { x, y: 0 }, facing: 'E', historyLength, _rev: `${historyLength + 1}-abc` })
/** An event's data as the service's stream sends it. */
const change = (type: string, state: object): object => ({ type, zergling: state })
const ID = 'c4a24574-4ca8-4fbd-93e1-2a648147a71f'

/** Answers the first connection with two events and hangs up; the next with the third. */
async function startFakeStream (): Promise<{ url: string, connections: IncomingHttpHeaders[], urls: string[], server: Server }> {
  const connections: IncomingHttpHeaders[] = []
  const urls: string[] = []
  const server = createServer((req, res) => {
    connections.push(req.headers)
    urls.push(req.url ?? '')
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    if (connections.length === 1) {
      res.write('retry: 100\n\n: heartbeat\n\n')
      res.write(`id: 7\nevent: spawned\ndata: ${JSON.stringify(change('spawned', zergling(ID, 0, 0)))}\n\n`)
      res.write('id: 8\nevent: brain\ndata: {"brain":"ok"}\n\n')
      res.end(`id: 8\nevent: moved\ndata: ${JSON.stringify(change('moved', zergling(ID, 1, 2)))}\n\n`)
    } else {
      res.write(`id: 9\nevent: moved\ndata: ${JSON.stringify(change('moved', zergling(ID, 2, 3)))}\n\n`)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections, urls, server }
}

describe('overmind zerglings watch, on a service with a change stream', () => {
  it('when the stream drops after two events, then it reconnects with Last-Event-ID and prints each event once, in order', async () => {
    const fake = await startFakeStream()
    try {
      const watch = startBinary(['zerglings', 'watch', '--json', '--limit', '3', '--url', fake.url])
      assert.equal(await watch.exited, 0, watch.stderr())
      assert.deepEqual(lines(watch.stdout()).map((line) => JSON.parse(line)), [change('spawned', zergling(ID, 0, 0)), change('moved', zergling(ID, 1, 2)), change('moved', zergling(ID, 2, 3))])
      assert.equal(fake.connections.length, 2)
      assert.equal(fake.connections[0]!.accept, 'text/event-stream')
      assert.equal(fake.urls[0], '/zerglings/_changes?since=now', 'the first connection starts live')
      assert.equal(fake.connections[0]!['last-event-id'], undefined)
      assert.equal(fake.connections[1]!['last-event-id'], '8', 'the reconnect resumes after the last event shown')
      assert.match(watch.stderr(), /the change stream closed; reconnecting in 0.1 s from event 8/)
      assert.match(watch.stderr(), /the service can read its store again/, 'the brain\'s state is said on stderr, not printed as a change')
      assert.doesNotMatch(watch.stderr(), /polling/)
    } finally {
      fake.server.closeAllConnections()
      await new Promise<void>((resolve) => fake.server.close(() => resolve()))
    }
  })

  it('when shown to a person, then each event is a row with its type, id, position, facing and history length', async () => {
    const fake = await startFakeStream()
    try {
      const watch = startBinary(['zerglings', 'watch', '--limit', '2', '--url', fake.url])
      assert.equal(await watch.exited, 0, watch.stderr())
      const [header, first, second] = lines(watch.stdout())
      assert.match(header!, /^EVENT +ID +X +Y +FACING +HISTORY$/)
      assert.match(first!, new RegExp(`^spawned +${ID} +0 +0 +E +0$`))
      assert.match(second!, new RegExp(`^moved +${ID} +1 +0 +E +2$`))
    } finally {
      fake.server.closeAllConnections()
      await new Promise<void>((resolve) => fake.server.close(() => resolve()))
    }
  })
})

/**
 * Spawns a zergling, moves it MM and deletes it, each once watch has printed the change before:
 * changes faster than the feed (or a poll) reads fold into the latest (README).
 */
async function spawnMoveDelete (url: string, watch: BinaryRun): Promise<{ id: string }> {
  const { zergling: spawned } = await (await fetch(`${url}/zerglings/`, { method: 'POST' })).json() as { zergling: { id: string } }
  await waitForOutput(watch, (out) => lines(out).length === 1)
  await fetch(`${url}/zerglings/${spawned.id}`, { method: 'POST', body: '"MM"' })
  await waitForOutput(watch, (out) => lines(out).length === 2)
  await fetch(`${url}/zerglings/${spawned.id}`, { method: 'DELETE' })
  return spawned
}

/** The service as one from before the change stream: `GET /zerglings/_changes` answers 404. */
async function withoutChangeStream (target: string): Promise<Listening> {
  const upstream = new URL(target)
  return await listenOnLoopback(createServer((req, res) => {
    if ((req.url ?? '').startsWith('/zerglings/_changes')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found","reason":"missing"}')
      return
    }
    forwardTo(upstream, req, res, (answer) => { res.writeHead(answer.statusCode ?? 502, answer.headers); answer.pipe(res) })
  }))
}

describe('overmind zerglings watch, on the service\'s own change stream', () => {
  let served: ServedInstance
  before(async () => { served = await serveEmbedded() })
  after(async () => { await served.close() })

  it('when a zergling is spawned, moved and deleted, then it prints the three events in order without polling', async () => {
    const watch = startBinary(['zerglings', 'watch', '--json', '--limit', '3', '--url', served.url])
    try {
      await waitForOutput(watch, (_out, err) => err.includes('following'))
      const spawned = await spawnMoveDelete(served.url, watch)
      assert.equal(await watch.exited, 0, watch.stderr())
      const events = lines(watch.stdout()).map((line) => JSON.parse(line))
      assert.deepEqual(events.map(({ type, zergling }) => [type, zergling.id, zergling.location, zergling.historyLength]), [
        ['spawned', spawned.id, { x: 0, y: 0 }, 0],
        ['moved', spawned.id, { x: 0, y: 2 }, 2],
        ['deleted', spawned.id, undefined, undefined]
      ])
      assert.doesNotMatch(watch.stderr(), /polling/)
    } finally {
      watch.child.kill('SIGKILL')
    }
  })
})

describe('overmind zerglings watch, on a service without a change stream', () => {
  let served: ServedInstance
  let proxy: Listening
  before(async () => { served = await serveEmbedded(); proxy = await withoutChangeStream(served.url) })
  after(async () => { await proxy.close(); await served.close() })

  it('when zerglings are spawned, moved and deleted, then it says it polls and prints each change with its history length', async () => {
    const watch = startBinary(['zerglings', 'watch', '--json', '--interval', '1', '--limit', '3', '--url', proxy.url])
    try {
      await waitForOutput(watch, (_out, err) => err.includes('polling every 1 s'))
      const spawned = await spawnMoveDelete(served.url, watch)
      assert.equal(await watch.exited, 0, watch.stderr())
      const [first, second, third] = lines(watch.stdout()).map((line) => JSON.parse(line))
      assert.deepEqual({ ...first, zergling: { ...first.zergling, _rev: undefined } }, { type: 'spawned', zergling: { id: spawned.id, location: { x: 0, y: 0 }, facing: 'N', historyLength: 0, _rev: undefined } })
      assert.deepEqual([second.type, second.zergling.location, second.zergling.historyLength], ['moved', { x: 0, y: 2 }, 2])
      assert.deepEqual(third, { type: 'deleted', zergling: { id: spawned.id } }, 'polled or streamed, the events have one shape')
      assert.match(watch.stderr(), /no change stream \(GET \/zerglings\/_changes answered 404\)/)
    } finally {
      watch.child.kill('SIGKILL')
    }
  })

  it('when it is interrupted with Ctrl-C, then it stops and exits 0', async () => {
    const watch = startBinary(['zerglings', 'watch', '--interval', '1', '--url', proxy.url])
    await waitForOutput(watch, (_out, err) => err.includes('polling'))
    watch.child.kill('SIGINT')
    assert.equal(await watch.exited, 0, watch.stderr())
  })
})
