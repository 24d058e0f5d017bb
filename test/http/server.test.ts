// startServer: the process-level wiring around the app (store hooks into metrics, graceful close).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/http/server.js'
import { openStore } from '../../src/store/open-store.js'

describe('a started server', () => {
  let dataDir: string
  let server: RunningServer
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'overmind-server-'))
    const config = loadConfig({ OVERMIND_HTTP_ADDR: '127.0.0.1:0', OVERMIND_DATA_DIR: dataDir, OVERMIND_LOG_LEVEL: 'silent' })
    server = await startServer({ config, openStore: async (hooks) => await openStore(config.store, hooks) })
  })
  after(async () => {
    await server.shutdown()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('when 20 commands race on one zergling, then all land once and the retries show in /metrics', async () => {
    const spawned = await fetch(`${server.address}/zerglings/`, { method: 'POST' })
    const { zergling } = await spawned.json() as { zergling: { id: string } }
    const answers = await Promise.all(Array.from({ length: 20 }, async () => await fetch(`${server.address}/zerglings/${zergling.id}`, { method: 'POST', body: '"M"' })))
    assert.deepEqual(answers.map((answer) => answer.status), Array(20).fill(200))
    const stored = await (await fetch(`${server.address}/zerglings/${zergling.id}`)).json() as { zergling: { location: { y: number }, commandHistory: string[] } }
    assert.equal(stored.zergling.commandHistory.length, 20)
    assert.equal(stored.zergling.location.y, 20)
    const metrics = await (await fetch(`${server.address}/metrics`)).text()
    const retries = Number(/^overmind_conflict_retries_total (\d+)/m.exec(metrics)?.[1])
    assert.ok(retries > 0, `20 concurrent writers on one document lose some revision races (retries: ${retries})`)
  })

  it('when shutting down, then readiness fails first and the server stops answering', async () => {
    const closing = server.shutdown('SIGTERM')
    const ready = await server.app.inject({ method: 'GET', url: '/readyz' })
    assert.equal(ready.statusCode, 503)
    assert.deepEqual(ready.json(), { status: 'unavailable', reason: 'Shutting down.' })
    await closing
    await assert.rejects(fetch(`${server.address}/livez`))
  })
})
