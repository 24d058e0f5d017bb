// Large answers compressed for clients that accept it (br, gzip), small ones and the change
// stream never; headers (security, ETag, request id) the same either way.
import assert from 'node:assert/strict'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { securityHeaders } from '../../src/http/security-headers.js'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'
import { openStream } from '../stream/support/sse-client.js'
import { spawnThrough, startEmbeddedStreamApp, type StreamApps } from '../stream/support/stream-apps.js'

describe('compressed answers', () => {
  let ctx: EmbeddedApp
  let id: string
  before(async () => {
    ctx = await startEmbeddedApp()
    id = (await ctx.app.inject({ method: 'POST', url: '/zerglings/' })).json().zergling.id
    // 2000 commands: the history page and the zergling's answer are several KiB of JSON.
    for (let i = 0; i < 2; i++) await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, payload: JSON.stringify('LMRM'.repeat(250)) })
  })
  after(async () => { await ctx.close() })

  const get = async (url: string, acceptEncoding?: string) =>
    await ctx.app.inject({ method: 'GET', url, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } })

  it('when a client accepts gzip or br, then a history page comes compressed with it and decodes to the same JSON', async () => {
    const plain = await get(`/zerglings/${id}/history`)
    assert.equal(plain.headers['content-encoding'], undefined)
    for (const [accepted, encoding, decode] of [['gzip', 'gzip', gunzipSync], ['gzip, deflate, br', 'br', brotliDecompressSync]] as const) {
      const compressed = await get(`/zerglings/${id}/history`, accepted)
      assert.equal(compressed.headers['content-encoding'], encoding, accepted)
      assert.match(String(compressed.headers.vary), /accept-encoding/i)
      assert.ok(compressed.rawPayload.length * 4 < plain.rawPayload.length, `${encoding}: ${compressed.rawPayload.length} of ${plain.rawPayload.length} bytes`)
      assert.equal(decode(Uint8Array.from(compressed.rawPayload)).toString(), plain.body)
    }
  })

  it('when a compressed answer is a zergling, then its ETag, request id and security headers are there and If-None-Match still answers 304', async () => {
    const response = await get(`/zerglings/${id}`, 'gzip')
    assert.equal(response.headers['content-encoding'], 'gzip')
    assert.equal(response.headers.etag, `"${JSON.parse(gunzipSync(Uint8Array.from(response.rawPayload)).toString()).zergling._rev as string}"`)
    assert.ok(response.headers['x-request-id'])
    for (const [name, value] of Object.entries(securityHeaders())) assert.equal(response.headers[name], value, name)
    const again = await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}`, headers: { 'accept-encoding': 'gzip', 'if-none-match': String(response.headers.etag) } })
    assert.equal(again.statusCode, 304)
  })

  it('when an answer is under 1 KiB, or the client accepts no encoding, then it is sent as it is', async () => {
    assert.equal((await get(`/zerglings/${id}?history=none`, 'gzip, br')).headers['content-encoding'], undefined)
    assert.equal((await get(`/zerglings/${id}/history`, 'identity')).headers['content-encoding'], undefined)
  })
})

describe('the change stream and compression', () => {
  let apps: StreamApps
  before(async () => { apps = await startEmbeddedStreamApp() })
  after(async () => { await apps.close() })

  it('when a client that accepts gzip and br opens the change stream, then it is not compressed and each event arrives as it happens', async () => {
    const url = apps.replicas[0]!.url
    const stream = await openStream(`${url}/zerglings/_changes`, { 'accept-encoding': 'gzip, br' })
    try {
      assert.equal(stream.status, 200)
      assert.equal(stream.headers.get('content-encoding'), null)
      await stream.waitFor('live', ({ event }) => event === 'live')
      // One at a time: each spawn's event must arrive before the next spawn is made.
      for (let i = 0; i < 3; i++) {
        const spawned = await spawnThrough(url)
        await stream.waitFor(`spawn ${i}`, ({ data }) => (data as { zergling?: { id: string } }).zergling?.id === spawned)
      }
    } finally {
      stream.close()
    }
  })
})
