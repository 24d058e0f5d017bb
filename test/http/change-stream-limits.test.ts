// A change stream's client that never reads, fed by the store's real changes feed: it is dropped
// once more than the bound waits for it, what waits for it stays within the bound meanwhile, it is
// cut off so its buffer is freed, and the client that reads gets everything. The kernel's socket
// buffers take a few MB first, so the zerglings are written straight into the database, a
// thousand at a time. The last `dropped` event itself is tested in sse-response.test.ts.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import PouchDB from 'pouchdb'
import { guardedLeveldown } from '../../src/store/guarded-leveldown.js'
import { openStream, statesOf } from '../stream/support/sse-client.js'
import { startEmbeddedStreamApp } from '../stream/support/stream-apps.js'

const BOUND = 64 * 1024

function metric (text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
}

/** A stream client that sends its request and then reads nothing. */
function silentClient (url: string): Socket {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname, () => {
    socket.write(`GET /zerglings/_changes HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`)
    socket.pause()
  })
  socket.on('error', () => {})
  return socket
}

describe('a change stream client that does not read', { timeout: 120_000 }, () => {
  it('when it never reads while zerglings spawn, then it is dropped once more than the bound waits for it, memory stays within the bound, it is cut off, and a reading client gets everything', async () => {
    const apps = await startEmbeddedStreamApp({ maxBufferedBytes: BOUND, graceMs: 500, heartbeatMs: 100 })
    const { url, app } = apps.replicas[0]!
    // The same leveldb handle as the store's (PouchDB keeps one per path), as another writer.
    const raw = new PouchDB(join(apps.dataDir!, 'zerglings'), { db: guardedLeveldown } as PouchDB.Configuration.DatabaseConfiguration)
    await raw.info()
    const metrics = async (): Promise<string> => (await app.inject({ method: 'GET', url: '/metrics' })).body
    const until = async (what: string, check: (text: string) => boolean): Promise<void> => {
      for (let deadline = Date.now() + 20_000; !check(await metrics());) {
        assert.ok(Date.now() < deadline, what)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    try {
      const reader = await openStream(`${url}/zerglings/_changes`)
      await reader.waitFor('live', ({ event }) => event === 'live')
      const silent = silentClient(url)
      await until('both streams open', (text) => metric(text, 'overmind_stream_clients') === 2)
      const ids: string[] = []
      let maxBuffered = 0
      while (metric(await metrics(), 'overmind_stream_dropped_total') < 1 && ids.length < 100_000) {
        const docs = Array.from({ length: 1000 }, () => ({ _id: randomUUID(), location: { x: 0, y: 0 }, facing: 'N', recentCommands: '', archivedChunks: 0 }))
        await raw.bulkDocs(docs)
        ids.push(...docs.map(({ _id }) => _id))
        for (let i = 0; i < 5; i++) {
          maxBuffered = Math.max(maxBuffered, metric(await metrics(), 'overmind_stream_buffered_bytes'))
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      }
      assert.equal(metric(await metrics(), 'overmind_stream_dropped_total'), 1, `the silent client was dropped after ${ids.length} zerglings`)
      // What waited for it: the bound, plus the batch that crossed it, plus the reader's.
      assert.ok(maxBuffered < 3 * BOUND + 200 * 400, `at most ${maxBuffered} bytes waited`)
      await until('the silent client was cut off', (text) => metric(text, 'overmind_stream_clients') === 1)
      assert.ok(metric(await metrics(), 'overmind_stream_buffered_bytes') < BOUND)
      silent.destroy()

      await reader.waitFor('the last zergling', ({ data }) => (data as { zergling?: { id: string } }).zergling?.id === ids.at(-1), 30_000)
      const got = statesOf(reader.events).map(([id]) => id)
      assert.equal(new Set(got).size, got.length, 'the reader got each zergling once')
      assert.deepEqual(new Set(got), new Set(ids), 'and every one')
      reader.close()
    } finally {
      // The stores first: the handle they share with `raw` closes with the last one.
      await apps.close()
      await raw.close().catch(() => {})
    }
  })
})
