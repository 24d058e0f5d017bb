// SIGTERM with change streams open, on the real `overmind serve`: every stream gets a last
// `closing` event and ends, and the process exits 0 in time (a stream never ends by itself, so
// one left open would hold the shutdown until its timeout and exit 1).
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startServe } from '../support/overmind-process.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { openStream } from '../stream/support/sse-client.js'
import { createTestDatabase, moveThrough, spawnThrough } from '../stream/support/stream-apps.js'

/** Generous for a loaded machine: the shutdown itself takes a fraction of it. */
const EXIT_WITHIN_MS = 6000

describe('SIGTERM with change streams open', { timeout: 120_000 }, () => {
  let couch: TestCouch
  let dataDir: string
  before(async () => {
    couch = await startTestCouch()
    dataDir = await mkdtemp(join(tmpdir(), 'overmind-stream-stop-'))
  })
  after(async () => {
    await couch?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  for (const kind of ['embedded', 'couchdb'] as const) {
    it(`when overmind serve on ${kind === 'embedded' ? 'the embedded store' : 'CouchDB'} gets SIGTERM, then each stream gets \`closing\` and ends, and the process exits 0 in time`, async () => {
      const env: Record<string, string> = kind === 'embedded'
        ? { OVERMIND_DATA_DIR: join(dataDir, 'data') }
        : { COUCHDB_URL: couch.url, COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password, OVERMIND_DATABASE: await createTestDatabase(couch, 'stream-stop') }
      const serve = await startServe(env)
      try {
        const id = await spawnThrough(serve.baseUrl)
        const streams = await Promise.all(['now', '0', 'now'].map(async (since) => await openStream(`${serve.baseUrl}/zerglings/_changes?since=${since}`)))
        await Promise.all(streams.map(async (stream) => await stream.waitFor('live', ({ event }) => event === 'live')))
        await moveThrough(serve.baseUrl, id, 'M')
        await Promise.all(streams.map(async (stream) => await stream.waitFor('the move', ({ event }) => event === 'moved')))
        const signalledAt = Date.now()
        serve.child.kill('SIGTERM')
        const code = await serve.exited
        const took = Date.now() - signalledAt
        await Promise.all(streams.map(async (stream) => await stream.ended))
        assert.equal(code, 0, serve.output())
        assert.ok(took < EXIT_WITHIN_MS, `exited ${took} ms after SIGTERM`)
        for (const stream of streams) assert.equal(stream.events.at(-1)?.event, 'closing')
      } finally {
        await serve.kill('SIGKILL')
      }
    })
  }
})
