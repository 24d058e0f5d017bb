// Bad input gets its status and a {"error","reason"} body, and changes nothing stored.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'

/** Records every id that reaches the store, to prove bad ids never do. */
function spyOnIds (store: ZerglingStore, seen: string[]): ZerglingStore {
  return {
    ...store,
    kind: store.kind,
    get: async (id, history) => { seen.push(id); return await store.get(id, history) },
    history: async (id, slice) => { seen.push(id); return await store.history(id, slice) },
    command: async (id, request) => { seen.push(id); return await store.command(id, request) },
    remove: async (id, history) => { seen.push(id); return await store.remove(id, history) }
  }
}

describe('bad input', () => {
  let ctx: EmbeddedApp
  let id: string
  const idsSeenByStore: string[] = []
  before(async () => {
    ctx = await startEmbeddedApp((store) => spyOnIds(store, idsSeenByStore))
    id = (await ctx.app.inject({ method: 'POST', url: '/zerglings/' })).json().zergling.id
    await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, payload: '"M"' })
  })
  after(async () => { await ctx.close() })

  const stored = async (): Promise<unknown> => (await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}` })).json()

  const commandCases: Array<[string, string, number, string]> = [
    ['an unknown letter', '"X"', 400, 'invalid_command'],
    ['a lowercase letter', '"m"', 400, 'invalid_command'],
    ['an empty string', '""', 400, 'invalid_command'],
    ['null', 'null', 400, 'invalid_command'],
    ['an array of commands', '["M"]', 400, 'invalid_command'],
    ['an object', '{"command":"M"}', 400, 'invalid_command'],
    ['a number', '7', 400, 'invalid_command'],
    ['bare letters that are not all commands', 'MXM', 400, 'invalid_command'],
    ['bare lowercase letters', 'lm', 400, 'invalid_command'],
    ['bare letters with a space', 'L M', 400, 'bad_request'],
    ['a form field', 'command=M', 400, 'bad_request'],
    ['broken JSON', '{"', 400, 'bad_request'],
    ['no body at all', '', 400, 'bad_request'],
    ['deeply nested JSON', '['.repeat(20000) + ']'.repeat(20000), 400, 'invalid_command'],
    ['invalid UTF-8', '"\xff\xfeM"', 400, 'invalid_command'],
    ['a body over the limit', `"${'M'.repeat(70 * 1024)}"`, 413, 'too_large'],
    ['too many commands at once', `"${'M'.repeat(1001)}"`, 400, 'invalid_command']
  ]
  for (const [what, payload, status, error] of commandCases) {
    it(`when a command is ${what}, then it answers ${status} ${error} and the zergling is unchanged`, async () => {
      const before = await stored()
      const response = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: Buffer.from(payload, 'latin1') })
      assert.equal(response.statusCode, status)
      const body = response.json()
      assert.equal(body.error, error)
      assert.equal(typeof body.reason, 'string')
      assert.ok(body.reason.length > 10, 'the reason is a sentence')
      assert.deepEqual(await stored(), before)
    })
  }

  it('when bare letters are sent as application/json, then they are broken JSON: 400 bad_request and the zergling is unchanged', async () => {
    const before = await stored()
    const response = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, headers: { 'content-type': 'application/json' }, payload: 'M' })
    assert.equal(response.statusCode, 400)
    assert.equal(response.json().error, 'bad_request')
    assert.deepEqual(await stored(), before)
  })

  // REAL stands for the id of a zergling that exists.
  const badIds = ['_all_docs', '_design/x', '_design%2Fx', '%2F', '..', '%2E%2E', 'a'.repeat(10_000), 'ÿ-unicode-☃', 'REAL-in-capitals', 'REAL-with-a-suffix']
  for (const template of badIds) {
    it(`when the id is ${template.length > 40 ? `${template.length} characters long` : JSON.stringify(template)}, then every method answers 404 and the store never sees it`, async () => {
      const badId = template === 'REAL-in-capitals' ? id.toUpperCase() : template === 'REAL-with-a-suffix' ? `${id}x` : template
      idsSeenByStore.length = 0
      for (const [method, suffix, payload] of [['GET', '', undefined], ['GET', '/history', undefined], ['POST', '', '"M"'], ['POST', '/_action', '"M"'], ['DELETE', '', undefined]] as const) {
        const url = `/zerglings/${badId}${suffix}`
        const response = await ctx.app.inject({ method, url, payload })
        // A client's URL parser (inject's, a browser's, curl's) turns `/zerglings/..` into `/`,
        // the web map; the server itself answers 404 for the path as sent.
        if (method === 'GET' && new URL(url, 'http://overmind').pathname === '/') {
          assert.equal(response.headers['content-type'], 'text/html; charset=utf-8')
          continue
        }
        assert.equal(response.statusCode, 404, `${method} /zerglings/${badId.slice(0, 40)}`)
        assert.equal(response.json().error, 'not_found')
      }
      assert.deepEqual(idsSeenByStore, [])
    })
  }

  it('when an unknown id is sent a bad command, then the unknown id wins: 404', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/zerglings/_all_docs', payload: '"X"' })
    assert.equal(response.statusCode, 404)
  })

  for (const [method, url, allow] of [
    ['PUT', '/zerglings/', 'GET, POST, HEAD'],
    ['DELETE', '/zerglings/', 'GET, POST, HEAD'],
    ['PATCH', '/zerglings/ID', 'GET, POST, DELETE, HEAD'],
    ['GET', '/zerglings/ID/_action', 'POST']
  ] as const) {
    it(`when ${method} ${url} is asked, then it answers 405 with Allow: ${allow}`, async () => {
      const response = await ctx.app.inject({ method, url: url.replace('ID', id) })
      assert.equal(response.statusCode, 405)
      assert.equal(response.headers.allow, allow)
      assert.equal(response.json().error, 'method_not_allowed')
    })
  }

  it('when a path does not exist, then it answers a JSON 404', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/nowhere' })
    assert.equal(response.statusCode, 404)
    assert.deepEqual(Object.keys(response.json()), ['error', 'reason'])
  })
})
