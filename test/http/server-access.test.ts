// startServer with the access settings: /metrics on its own listener (OVERMIND_METRICS_ADDR), the
// admin and API tokens read from mounted Secret files and followed when the kubelet swaps them.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/http/server.js'
import { mountSecret, type MountedSecret } from '../support/mounted-secret.js'

describe('a server with a metrics address and token files', () => {
  let dataDir: string
  let adminSecret: MountedSecret
  let apiSecret: MountedSecret
  let server: RunningServer
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'overmind-access-'))
    adminSecret = await mountSecret('token', 'admin-token-one')
    apiSecret = await mountSecret('token', 'api-token-one')
    server = await startServer(loadConfig({
      OVERMIND_HTTP_ADDR: '127.0.0.1:0',
      OVERMIND_METRICS_ADDR: '127.0.0.1:0',
      OVERMIND_ADMIN_TOKEN_FILE: adminSecret.path,
      OVERMIND_API_TOKEN_FILE: apiSecret.path,
      OVERMIND_DATA_DIR: dataDir,
      OVERMIND_LOG_LEVEL: 'silent'
    }))
  })
  after(async () => {
    await server.shutdown()
    await adminSecret.remove()
    await apiSecret.remove()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('when /metrics is asked on the public port, then 404; on the metrics address, then the public port\'s requests are counted there', async () => {
    assert.ok(server.metricsAddress !== undefined && server.metricsAddress !== server.address)
    await (await fetch(`${server.address}/zerglings/`)).arrayBuffer()
    const publicMetrics = await fetch(`${server.address}/metrics`)
    assert.equal(publicMetrics.status, 404)
    await publicMetrics.arrayBuffer()
    const scraped = await fetch(`${server.metricsAddress}/metrics`)
    assert.equal(scraped.status, 200)
    assert.match(await scraped.text(), /^overmind_http_requests_total\{method="GET",route="\/zerglings\/",status="200"\} 1$/m)
  })

  it('when the token files are the ones configured, then writes and the drain switch take them; when the kubelet swaps them, then only the new ones work', async () => {
    const spawn = async (token: string): Promise<number> => {
      const answer = await fetch(`${server.address}/zerglings/`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
      await answer.arrayBuffer()
      return answer.status
    }
    const disable = async (token: string): Promise<number> => {
      const answer = await fetch(`${server.address}/readyz/disable`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
      await answer.arrayBuffer()
      return answer.status
    }
    assert.equal(await spawn('api-token-one'), 201)
    assert.equal(await disable('api-token-one'), 401, 'the API token is not the admin token')
    assert.equal(await disable('admin-token-one'), 200)
    assert.equal((await fetch(`${server.address}/readyz`)).status, 503)

    await apiSecret.update('api-token-two')
    await adminSecret.update('admin-token-two')
    // File events arrive a moment later, longer on a loaded machine: poll with a generous bound.
    for (let tries = 0; tries < 500 && (await spawn('api-token-two') !== 201 || await disable('admin-token-two') !== 200); tries++) await sleep(20)
    assert.equal(await spawn('api-token-two'), 201)
    assert.equal(await spawn('api-token-one'), 401)
    assert.equal(await disable('admin-token-one'), 401)
  })

  it('when it shuts down, then the metrics listener closes with it', async () => {
    await server.shutdown('SIGTERM')
    await assert.rejects(fetch(`${server.metricsAddress!}/metrics`))
    await assert.rejects(fetch(`${server.address}/livez`))
  })
})
