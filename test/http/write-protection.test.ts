// OVERMIND_API_TOKEN_FILE: writes need the bearer token, reads, probes and metrics do not, and the
// token appears in no log line.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.js'
import { loggerOptions } from '../../src/http/server.js'
import { fixedToken } from '../../src/token-file.js'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'

const API_TOKEN = 'api-sentinel-5f2a91c3'
const withToken = { authorization: `Bearer ${API_TOKEN}` }
const REFUSALS = [{}, { authorization: 'Bearer not-the-token' }, { authorization: API_TOKEN }]

describe('writes behind an API token', () => {
  let ctx: EmbeddedApp
  const lines: string[] = []
  let id: string
  before(async () => {
    const logger = pino(loggerOptions(loadConfig({ OVERMIND_LOG_LEVEL: 'trace' })), { write: (line: string) => { lines.push(line) } })
    ctx = await startEmbeddedApp(undefined, { apiToken: fixedToken(API_TOKEN), loggerInstance: logger })
    const spawned = await ctx.app.inject({ method: 'POST', url: '/zerglings/', headers: withToken })
    assert.equal(spawned.statusCode, 201)
    id = spawned.json().zergling.id
  })
  after(async () => { await ctx.close() })

  it('when a spawn, a command or a delete comes without the right token, then 401 with WWW-Authenticate: Bearer and nothing changes', async () => {
    for (const headers of REFUSALS) {
      for (const [method, url, payload] of [['POST', '/zerglings/', undefined], ['POST', `/zerglings/${id}`, 'MMR'], ['DELETE', `/zerglings/${id}`, undefined]] as const) {
        const refused = await ctx.app.inject({ method, url, payload, headers })
        assert.equal(refused.statusCode, 401, `${method} ${url} ${JSON.stringify(headers)}`)
        assert.equal(refused.json().error, 'unauthorized')
        assert.match(String(refused.headers['www-authenticate']), /^Bearer realm="overmind"/)
      }
    }
    const list = (await ctx.app.inject({ method: 'GET', url: '/zerglings/' })).json<{ zerglings: Array<{ id: string }> }>()
    assert.deepEqual(list.zerglings.map((zergling) => zergling.id), [id], 'no spawn, no delete')
    const zergling = (await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}` })).json().zergling
    assert.deepEqual([zergling.location, zergling.facing], [{ x: 0, y: 0 }, 'N'], 'no command applied')
  })

  it('when a write carries the token, then it is applied', async () => {
    const moved = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, payload: 'M', headers: { authorization: `bearer ${API_TOKEN}` } })
    assert.equal(moved.statusCode, 200)
    assert.deepEqual(moved.json().zergling.location, { x: 0, y: 1 })
  })

  it('when reads, probes and metrics come without a token, then they answer as always', async () => {
    for (const url of ['/zerglings/', `/zerglings/${id}`, `/zerglings/${id}/history`, '/livez', '/readyz', '/_health', '/metrics', '/openapi.json']) {
      assert.equal((await ctx.app.inject({ method: 'GET', url })).statusCode, 200, url)
    }
    assert.equal((await ctx.app.inject({ method: 'HEAD', url: '/zerglings/' })).statusCode, 200)
  })

  it('when requests with right and wrong tokens have been logged at trace, then no line holds either token', async () => {
    assert.ok(lines.length > 20, `the requests were logged (${lines.length} lines)`)
    assert.deepEqual(lines.filter((line) => line.includes(API_TOKEN) || line.includes('not-the-token')), [])
  })
})
