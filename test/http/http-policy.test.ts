// Exposure: security headers always, CORS only for configured origins, an optional rate limit.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { HttpPolicy } from '../../src/config.js'
import { createApp } from '../../src/http/app.js'
import { createPouchStore } from '../../src/store/pouch-store.js'

const opened: Array<{ app: FastifyInstance, dataDir: string }> = []
after(async () => {
  for (const { app, dataDir } of opened) {
    await app.close()
    await rm(dataDir, { recursive: true, force: true })
  }
})

async function appWith (policy: HttpPolicy): Promise<FastifyInstance> {
  const dataDir = await mkdtemp(join(tmpdir(), 'overmind-policy-'))
  const app = await createApp({ store: await createPouchStore({ dataDir, database: 'zerglings' }), policy })
  opened.push({ app, dataDir })
  return app
}

describe('http exposure', () => {
  it('when nothing is configured, then answers carry security headers and no CORS headers', async () => {
    const app = await appWith({ corsOrigins: [] })
    const response = await app.inject({ method: 'GET', url: '/zerglings/', headers: { origin: 'https://evil.example' } })
    assert.equal(response.headers['x-content-type-options'], 'nosniff')
    assert.ok(response.headers['content-security-policy'])
    assert.equal(response.headers['access-control-allow-origin'], undefined)
  })

  it('when the docs page or the API is reached over plain HTTP, then no header tells the browser to switch to https', async () => {
    const app = await appWith({ corsOrigins: [] })
    for (const url of ['/zerglings/', '/docs/', '/docs/static/swagger-initializer.js']) {
      const response = await app.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 200, url)
      assert.ok(response.headers['content-security-policy'], url)
      assert.doesNotMatch(String(response.headers['content-security-policy']), /upgrade-insecure-requests/, url)
    }
  })

  it('when an origin is configured, then only that origin is allowed', async () => {
    const app = await appWith({ corsOrigins: ['https://app.example'] })
    const allowed = await app.inject({ method: 'GET', url: '/zerglings/', headers: { origin: 'https://app.example' } })
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example')
    const other = await app.inject({ method: 'GET', url: '/zerglings/', headers: { origin: 'https://evil.example' } })
    assert.equal(other.headers['access-control-allow-origin'], undefined)
  })

  it('when an origin is configured, then a browser preflight for every method the API has is allowed, DELETE included', async () => {
    const app = await appWith({ corsOrigins: ['https://app.example'] })
    for (const method of ['GET', 'POST', 'DELETE']) {
      const preflight = await app.inject({ method: 'OPTIONS', url: '/zerglings/c4a24574-4ca8-4fbd-93e1-2a648147a71f', headers: { origin: 'https://app.example', 'access-control-request-method': method } })
      assert.equal(preflight.statusCode, 204, method)
      assert.ok(String(preflight.headers['access-control-allow-methods']).split(',').map((m) => m.trim()).includes(method), `${method}: ${String(preflight.headers['access-control-allow-methods'])}`)
    }
  })

  it('when no HSTS age is configured, then no Strict-Transport-Security is sent; when it is, max-age without includeSubDomains', async () => {
    const plain = await (await appWith({ corsOrigins: [] })).inject({ method: 'GET', url: '/zerglings/' })
    assert.equal(plain.headers['strict-transport-security'], undefined)
    const behindTls = await (await appWith({ corsOrigins: [], hstsMaxAgeSeconds: 86400 })).inject({ method: 'GET', url: '/zerglings/' })
    assert.equal(behindTls.headers['strict-transport-security'], 'max-age=86400')
  })

  it('when a rate limit is set, then requests above it get 429 in our error shape while probes still answer', async () => {
    const app = await appWith({ corsOrigins: [], rateLimitPerMinute: 3 })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'GET', url: '/zerglings/' })).statusCode)
    assert.deepEqual(statuses, [200, 200, 200, 429])
    const limited = await app.inject({ method: 'GET', url: '/zerglings/' })
    assert.equal(limited.json().error, 'too_many_requests')
    assert.match(limited.json().reason, /3 requests a minute/)
    assert.ok(limited.headers['retry-after'])
    for (const url of ['/livez', '/readyz', '/_health', '/metrics']) assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url)
  })
  it('when no proxy is trusted, then a client sending its own X-Forwarded-For still counts against its own address', async () => {
    const app = await appWith({ corsOrigins: [], rateLimitPerMinute: 2 })
    const statuses = []
    for (const forwarded of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      statuses.push((await app.inject({ method: 'GET', url: '/zerglings/', headers: { 'x-forwarded-for': forwarded } })).statusCode)
    }
    assert.deepEqual(statuses, [200, 200, 429])
  })

  it('when the proxy in front is trusted, then each client address X-Forwarded-For names gets its own count', async () => {
    const app = await appWith({ corsOrigins: [], rateLimitPerMinute: 2, trustProxy: ['127.0.0.1'] })
    const get = async (forwarded: string): Promise<number> => (await app.inject({ method: 'GET', url: '/zerglings/', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': forwarded } })).statusCode
    assert.deepEqual([await get('198.51.100.1'), await get('198.51.100.1'), await get('198.51.100.1')], [200, 200, 429])
    assert.equal(await get('198.51.100.2'), 200, 'another client behind the same proxy')
    // The rightmost untrusted address is the client: a spoofed entry further left changes nothing.
    assert.equal(await get('203.0.113.9, 198.51.100.1'), 429)
  })

  it('when X-Forwarded-For comes from an address that is not the trusted proxy, then it is ignored', async () => {
    const app = await appWith({ corsOrigins: [], rateLimitPerMinute: 2, trustProxy: ['10.0.0.0/8'] })
    const statuses = []
    for (const forwarded of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      statuses.push((await app.inject({ method: 'GET', url: '/zerglings/', remoteAddress: '192.0.2.50', headers: { 'x-forwarded-for': forwarded } })).statusCode)
    }
    assert.deepEqual(statuses, [200, 200, 429])
  })
})
