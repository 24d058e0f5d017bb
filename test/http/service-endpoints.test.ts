// What operators and tools read: health, probes, metrics, the OpenAPI document and its docs page.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

describe('the request log', () => {
  it('when kubelet probes and Prometheus scrapes, then nothing is logged at info, while API requests are', async () => {
    const { pino } = await import('pino')
    const lines: string[] = []
    const ctx = await startEmbeddedApp(undefined, { loggerInstance: pino({ level: 'info' }, { write: (line: string) => { lines.push(line) } }) })
    try {
      for (const url of ['/livez', '/readyz', '/metrics']) await ctx.app.inject({ method: 'GET', url })
      assert.deepEqual(lines, [])
      await ctx.app.inject({ method: 'GET', url: '/zerglings/' })
      assert.ok(lines.length > 0, 'an API request is logged')
    } finally {
      await ctx.close()
    }
  })
})

describe('service endpoints', () => {
  let ctx: EmbeddedApp
  before(async () => { ctx = await startEmbeddedApp() })
  after(async () => { await ctx.close() })

  it('/_health answers the seed\'s shape with the package version and a healthy brain', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/_health' })
    assert.deepEqual(response.json(), { health: { version, brain: 'ok' } })
  })

  it('/livez and /readyz answer 200 when the store is usable', async () => {
    assert.equal((await ctx.app.inject({ method: 'GET', url: '/livez' })).statusCode, 200)
    assert.deepEqual((await ctx.app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ok' })
  })

  it('/openapi.json describes every zergling route with its request and response schemas', async () => {
    const document = (await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    assert.match(document.openapi, /^3\./)
    assert.equal(document.info.version, version)
    assert.deepEqual(Object.keys(document.paths['/zerglings']).sort(), ['get', 'post'])
    assert.deepEqual(Object.keys(document.paths['/zerglings/{id}']).sort(), ['delete', 'get', 'post'])
    assert.ok(document.paths['/zerglings/{id}/_action'].post)
    const command = document.paths['/zerglings/{id}'].post
    assert.equal(command.requestBody.content['application/json'].schema.pattern, '^[LRM]+$')
    assert.ok(command.responses['200'].content['application/json'].schema.properties.zergling.properties.commandHistory)
    assert.ok(command.responses['404'], 'errors are documented')
  })

  it('/docs serves a page for people', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/docs/' })
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /text\/html/)
  })

  it('/metrics counts store errors by kind as they reach clients', async () => {
    await ctx.app.inject({ method: 'GET', url: '/zerglings/c4a24574-4ca8-4fbd-93e1-2a648147a71f' })
    await ctx.app.inject({ method: 'GET', url: '/zerglings/?cursor=not-one-of-ours' })
    const text = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body
    assert.match(text, /overmind_store_errors_total\{kind="not_found"\} 1/)
    assert.match(text, /overmind_store_errors_total\{kind="invalid_cursor"\} 1/)
  })

  it('/metrics counts requests by route pattern and the commands applied', async () => {
    const id = (await ctx.app.inject({ method: 'POST', url: '/zerglings/' })).json().zergling.id
    await ctx.app.inject({ method: 'POST', url: `/zerglings/${id as string}`, payload: '"LMM"' })
    const text = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body
    assert.match(text, /overmind_http_requests_total\{method="POST",route="\/zerglings\/:id",status="200"\} 1/)
    assert.match(text, /overmind_commands_applied_total 3/)
    assert.match(text, /overmind_http_request_duration_seconds_bucket/)
    assert.ok(!text.includes(id), 'ids never become labels')
  })
})
