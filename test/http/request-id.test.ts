// X-Request-Id: kept when a client or proxy sent a usable one, made otherwise, echoed on every
// answer (errors and the change stream included) and in every log line of the request.
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'
import { startEmbeddedStreamApp, type StreamApps } from '../stream/support/stream-apps.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('X-Request-Id', () => {
  const lines: Array<Record<string, unknown>> = []
  let ctx: EmbeddedApp
  before(async () => {
    ctx = await startEmbeddedApp(undefined, { loggerInstance: pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } }) })
  })
  after(async () => { await ctx.close() })

  it('when a request sends a usable X-Request-Id, then the answer echoes it and every log line of the request carries it', async () => {
    lines.length = 0
    const response = await ctx.app.inject({ method: 'GET', url: '/zerglings/c4a24574-4ca8-4fbd-93e1-2a648147a71f', headers: { 'x-request-id': 'ingress-7f3a/42' } })
    assert.equal(response.statusCode, 404)
    assert.equal(response.headers['x-request-id'], 'ingress-7f3a/42')
    assert.ok(lines.length >= 3, 'incoming, the 404\'s reason, completed')
    assert.deepEqual(new Set(lines.map((line) => line.reqId)), new Set(['ingress-7f3a/42']))
  })

  it('when a request sends none, or one too long or with spaces, then it gets a new UUID, a different one each time', async () => {
    const ids = []
    for (const sent of [undefined, 'x'.repeat(201), 'two words']) {
      const response = await ctx.app.inject({ method: 'GET', url: '/zerglings/', headers: sent === undefined ? {} : { 'x-request-id': sent } })
      assert.match(String(response.headers['x-request-id']), UUID, `sent ${String(sent)}`)
      ids.push(response.headers['x-request-id'])
    }
    assert.equal(new Set(ids).size, 3)
  })

  it('when a request fails before or during routing, then its answer carries the id too', async () => {
    const badBody = await ctx.app.inject({ method: 'POST', url: '/zerglings/c4a24574-4ca8-4fbd-93e1-2a648147a71f', headers: { 'x-request-id': 'a' }, payload: '"X"' })
    const unknownPath = await ctx.app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'b' } })
    const wrongMethod = await ctx.app.inject({ method: 'PUT', url: '/zerglings/', headers: { 'x-request-id': 'c' } })
    const badEscape = await ctx.app.inject({ method: 'GET', url: '/zerglings/%E0%A4%A', headers: { 'x-request-id': 'd' } })
    assert.deepEqual([badBody, unknownPath, wrongMethod, badEscape].map((response) => [response.statusCode, response.headers['x-request-id']]), [[400, 'a'], [404, 'b'], [405, 'c'], [400, 'd']])
  })
})

describe('X-Request-Id on the change stream', () => {
  let apps: StreamApps
  before(async () => { apps = await startEmbeddedStreamApp() })
  after(async () => { await apps.close() })

  it('when a change stream is opened with an X-Request-Id, then the stream\'s headers echo it', async () => {
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = httpRequest(`${apps.replicas[0]!.url}/zerglings/_changes`, { headers: { 'x-request-id': 'stream-1' } }, (res) => {
        resolve(res.headers)
        res.destroy()
      })
      req.on('error', reject)
      req.end()
    })
    assert.equal(headers['x-request-id'], 'stream-1')
  })
})
