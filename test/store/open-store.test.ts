import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openStore, type StoreLogger } from '../../src/store/open-store.js'

function captureLogger (): { lines: string[], logger: StoreLogger } {
  const lines: string[] = []
  const log = (object: Record<string, unknown>, message: string): void => { lines.push(JSON.stringify({ ...object, message })) }
  return { lines, logger: { info: log, warn: log, error: log } }
}

describe('openStore', () => {
  it('when no CouchDB is configured, then it opens the embedded store under the data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'overmind-open-'))
    const { lines, logger } = captureLogger()
    const store = await openStore({ kind: 'embedded', dataDir, database: 'zerglings' }, { logger })
    try {
      assert.equal(store.kind, 'embedded')
      assert.deepEqual(await store.check(), { ok: true })
      assert.match(lines.join('\n'), /embedded/)
    } finally {
      await store.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('when CouchDB is configured, then it opens the CouchDB store and logs no password', async () => {
    const { lines, logger } = captureLogger()
    const password = 'open-store-secret-password'
    const store = await openStore({
      kind: 'couchdb',
      couch: { url: 'http://127.0.0.1:9', username: 'app', password, database: 'zerglings', requestTimeoutMs: 500 }
    }, { logger })
    try {
      assert.equal(store.kind, 'couchdb')
      assert.equal(lines.length, 1)
      assert.ok(!lines.join('\n').includes(password))
      const status = await store.check()
      assert.equal(status.ok === false && status.kind, 'unavailable')
    } finally {
      await store.close()
    }
  })
})
