// startServer: the process-level wiring around the app (store hooks into metrics, graceful close).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, get } from 'node:http'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig } from '../../src/config.js'
import { loggerOptions, startServer, type RunningServer } from '../../src/http/server.js'
import { startServe } from '../support/overmind-process.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

describe('a started server', () => {
  let dataDir: string
  let server: RunningServer
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'overmind-server-'))
    const config = loadConfig({ OVERMIND_HTTP_ADDR: '127.0.0.1:0', OVERMIND_DATA_DIR: dataDir, OVERMIND_LOG_LEVEL: 'silent' })
    server = await startServer(config)
  })
  after(async () => {
    await server.shutdown()
    await rm(dataDir, { recursive: true, force: true })
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

describe('a server shutting down with a keep-alive client', () => {
  it('when SIGTERM comes during a slow request, then the request completes with Connection: close and the server does not wait for the idle socket', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'overmind-server-'))
    const config = loadConfig({ OVERMIND_HTTP_ADDR: '127.0.0.1:0', OVERMIND_DATA_DIR: dataDir, OVERMIND_LOG_LEVEL: 'silent' })
    const server = await startServer(config, {
      wrapStore: (store) => ({ ...store, kind: store.kind, get: async (id, history) => { await sleep(500); return await store.get(id, history) } })
    })
    const agent = new Agent({ keepAlive: true })
    try {
      const { zergling } = await (await fetch(`${server.address}/zerglings/`, { method: 'POST' })).json() as { zergling: { id: string } }
      const answer = new Promise<{ status: number, connection: string | undefined }>((resolve, reject) => {
        get(`${server.address}/zerglings/${zergling.id}`, { agent }, (res) => {
          res.resume()
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
        }).on('error', reject)
      })
      await sleep(100)
      const started = Date.now()
      await server.shutdown('SIGTERM')
      assert.deepEqual(await answer, { status: 200, connection: 'close' })
      assert.ok(Date.now() - started < 3000, `shutdown took ${Date.now() - started} ms`)
    } finally {
      agent.destroy()
      await server.shutdown()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('a server shutting down while a client keeps its connection for the next request', () => {
  it('when SIGTERM comes between two requests on one kept-alive connection, then the second is still answered (with Connection: close), not reset', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'overmind-server-'))
    const config = loadConfig({ OVERMIND_HTTP_ADDR: '127.0.0.1:0', OVERMIND_DATA_DIR: dataDir, OVERMIND_LOG_LEVEL: 'silent' })
    const server = await startServer(config)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const ask = async (): Promise<{ status: number, connection: string | undefined }> => await new Promise((resolve, reject) => {
      get(`${server.address}/livez`, { agent }, (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
      }).on('error', reject)
    })
    try {
      assert.equal((await ask()).status, 200)
      const closing = server.shutdown('SIGTERM')
      assert.deepEqual(await ask(), { status: 200, connection: 'close' })
      await closing
    } finally {
      agent.destroy()
      await server.shutdown()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('a served process with connections that say nothing', () => {
  it('when SIGTERM comes while one connection is silent and another sent half a request, then it exits 0 within 3 s instead of waiting for them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'overmind-server-'))
    const served = await startServe({ OVERMIND_DATA_DIR: dataDir, OVERMIND_SHUTDOWN_TIMEOUT_MS: '10000' })
    const { port } = new URL(served.baseUrl)
    const open = async (): Promise<Socket> => await new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => resolve(socket)).on('error', reject)
    })
    const sockets = [await open(), await open()]
    try {
      sockets[1]!.write('GET /livez HTTP/1.1\r\nHost: overmind\r\n')
      const spawned = await fetch(`${served.baseUrl}/zerglings/`, { method: 'POST' })
      assert.equal(spawned.status, 201)
      await sleep(100)
      const started = Date.now()
      const code = await served.kill('SIGTERM')
      const took = Date.now() - started
      assert.equal(code, 0, served.output())
      assert.ok(took < 3000, `exit took ${took} ms`)
    } finally {
      for (const socket of sockets) socket.destroy()
      await served.kill('SIGKILL')
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('two servers on one CouchDB', () => {
  let couch: TestCouch
  const servers: RunningServer[] = []
  before(async () => {
    couch = await startTestCouch()
    const database = couch.uniqueDatabaseName('two-replicas')
    const authorization = 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64')
    assert.equal((await fetch(`${couch.url}/${database}`, { method: 'PUT', headers: { authorization } })).status, 201)
    for (let i = 0; i < 2; i++) {
      const config = loadConfig({ OVERMIND_HTTP_ADDR: '127.0.0.1:0', COUCHDB_URL: couch.url, COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password, OVERMIND_DATABASE: database, OVERMIND_LOG_LEVEL: 'silent' })
      servers.push(await startServer(config))
    }
  })
  after(async () => {
    for (const server of servers) await server.shutdown()
    await couch.close()
  })

  it('when 100 commands race on one zergling through both, then all land once and the lost revision races show in /metrics', async () => {
    const [a, b] = servers as [RunningServer, RunningServer]
    const { zergling } = await (await fetch(`${a.address}/zerglings/`, { method: 'POST' })).json() as { zergling: { id: string } }
    const answers = await Promise.all(Array.from({ length: 100 }, async (_, i) =>
      await fetch(`${(i % 2 === 0 ? a : b).address}/zerglings/${zergling.id}?history=none`, { method: 'POST', body: '"M"' })))
    assert.deepEqual(answers.map((answer) => answer.status), Array(100).fill(200))
    const stored = await (await fetch(`${b.address}/zerglings/${zergling.id}`)).json() as { zergling: { location: { y: number }, commandHistory: string[] } }
    assert.equal(stored.zergling.commandHistory.length, 100)
    assert.equal(stored.zergling.location.y, 100)
    let retries = 0
    for (const server of servers) {
      const metrics = await (await fetch(`${server.address}/metrics`)).text()
      retries += Number(/^overmind_conflict_retries_total (\d+)/m.exec(metrics)?.[1])
    }
    assert.ok(retries > 0, `two replicas writing one document lose some revision races (retries: ${retries})`)
  })
})

describe('the server\'s logger', () => {
  it('when an error carrying the CouchDB password or a URL with credentials is logged, then the line holds neither', async () => {
    const { pino } = await import('pino')
    const config = loadConfig({ COUCHDB_URL: 'http://admin:log-sentinel-4e1b@couch:5984', OVERMIND_LOG_LEVEL: 'info' })
    const lines: string[] = []
    const logger = pino(loggerOptions(config), { write: (line: string) => { lines.push(line) } })
    logger.error({ err: new Error('request to http://admin:log-sentinel-4e1b@couch:5984/zerglings failed; password log-sentinel-4e1b') }, 'request failed')
    assert.equal(lines.length, 1)
    assert.ok(!lines[0]!.includes('log-sentinel-4e1b'), lines[0])
    assert.match(lines[0]!, /http:\/\/\*\*\*@couch:5984/)
  })
})
