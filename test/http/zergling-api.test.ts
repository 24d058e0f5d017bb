// The zergling API through `inject`, on the embedded store: shapes, pagination, commands.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

describe('the zergling API', () => {
  let ctx: EmbeddedApp
  before(async () => { ctx = await startEmbeddedApp() })
  after(async () => { await ctx.close() })

  const spawn = async (): Promise<string> => {
    const response = await ctx.app.inject({ method: 'POST', url: '/zerglings/' })
    return response.json().zergling.id
  }

  it('when a zergling is spawned, then it answers 201 with a Location and stands at (0,0) facing N', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/zerglings/', headers: FORM, payload: 'M' })
    assert.equal(response.statusCode, 201)
    const { zergling } = response.json()
    assert.match(zergling.id, /^[0-9a-f-]{36}$/)
    assert.deepEqual(zergling, { id: zergling.id, location: { x: 0, y: 0 }, facing: 'N' })
    assert.equal(response.headers.location, `/zerglings/${zergling.id as string}`)
  })

  it('when spawning without the trailing slash, then it works the same', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/zerglings' })
    assert.equal(response.statusCode, 201)
  })

  it('when a zergling is read, then it shows an empty history and its revision', async () => {
    const id = await spawn()
    const response = await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}` })
    assert.equal(response.statusCode, 200)
    const { zergling } = response.json()
    assert.deepEqual(zergling.commandHistory, [])
    assert.match(zergling._rev, /^1-/)
  })

  it('when commands are posted as form-encoded JSON strings, then each answers the new state and a new revision', async () => {
    const id = await spawn()
    const first = (await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, headers: FORM, payload: '"M"' })).json().zergling
    assert.deepEqual({ location: first.location, facing: first.facing, history: first.commandHistory }, { location: { x: 0, y: 1 }, facing: 'N', history: ['M'] })
    assert.match(first._rev, /^2-/)
    const second = (await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}/_action`, headers: FORM, payload: '"L"' })).json().zergling
    assert.equal(second.facing, 'W')
    assert.match(second._rev, /^3-/)
    const read = (await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}` })).json().zergling
    assert.equal(read._rev, second._rev, 'the answer carries the revision that was stored, not a stale one')
  })

  it('when several commands come in one string, then they apply in order as one revision', async () => {
    const id = await spawn()
    const response = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, headers: { 'content-type': 'application/json' }, payload: '"LMLMM"' })
    const { zergling } = response.json()
    assert.deepEqual(zergling.location, { x: -1, y: -2 })
    assert.equal(zergling.facing, 'S')
    assert.deepEqual(zergling.commandHistory, ['L', 'M', 'L', 'M', 'M'])
    assert.match(zergling._rev, /^2-/)
  })

  for (const [what, headers, payload] of [
    ['as curl -d LMLMM sends them (form-urlencoded, no quotes)', FORM, 'LMLMM'],
    ['as text/plain with a trailing newline', { 'content-type': 'text/plain' }, 'LMLMM\n'],
    ['with no content type at all', {}, 'LMLMM']
  ] as const) {
    it(`when the commands come ${what}, then they apply as the JSON string "LMLMM" would`, async () => {
      const id = await spawn()
      const response = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, headers, payload })
      assert.equal(response.statusCode, 200, response.body)
      const { zergling } = response.json()
      assert.deepEqual({ location: zergling.location, facing: zergling.facing, history: zergling.commandHistory.join('') }, { location: { x: -1, y: -2 }, facing: 'S', history: 'LMLMM' })
    })
  }

  it('when a zergling is deleted, then the answer is its last state and it is gone afterwards', async () => {
    const id = await spawn()
    await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, payload: '"R"' })
    const deleted = await ctx.app.inject({ method: 'DELETE', url: `/zerglings/${id}` })
    assert.equal(deleted.statusCode, 200)
    assert.equal(deleted.json().zergling.facing, 'E')
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}` })).statusCode, 404)
    assert.equal((await ctx.app.inject({ method: 'DELETE', url: `/zerglings/${id}` })).statusCode, 404)
    assert.equal((await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, payload: '"M"' })).statusCode, 404)
  })
})

describe('listing zerglings', () => {
  let ctx: EmbeddedApp
  before(async () => { ctx = await startEmbeddedApp() })
  after(async () => { await ctx.close() })

  it('when there are none, then the list is an empty array (the original printed {})', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/zerglings/' })
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { zerglings: [] })
  })

  it('when there are more than a page, then pages follow the next cursor in stable id order with each real state', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const id = (await ctx.app.inject({ method: 'POST', url: '/zerglings/' })).json().zergling.id as string
      await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, payload: '"R"' })
      ids.push(id)
    }
    const seen: Array<{ id: string, facing: string }> = []
    let url = '/zerglings/?limit=2'
    for (let page = 0; page < 5; page++) {
      const body = (await ctx.app.inject({ method: 'GET', url })).json()
      assert.ok(body.zerglings.length <= 2)
      seen.push(...body.zerglings)
      if (body.next === undefined) break
      url = `/zerglings/?limit=2&cursor=${encodeURIComponent(body.next as string)}`
    }
    assert.deepEqual(seen.map((z) => z.id), [...ids].sort())
    assert.ok(seen.every((z) => z.facing === 'E'), 'each item shows its real facing, not the original\'s ""')
  })

  for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1']) {
    it(`when asked for ${query}, then it answers 400 bad_request`, async () => {
      const response = await ctx.app.inject({ method: 'GET', url: `/zerglings/?${query}` })
      assert.equal(response.statusCode, 400)
      assert.equal(response.json().error, 'bad_request')
    })
  }

  it('when given a cursor it never handed out, then it answers 400 invalid_cursor', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/zerglings/?cursor=not-a-cursor!' })
    assert.equal(response.statusCode, 400)
    assert.equal(response.json().error, 'invalid_cursor')
  })
})

describe('history and retries', () => {
  let ctx: EmbeddedApp
  before(async () => { ctx = await startEmbeddedApp() })
  after(async () => { await ctx.close() })

  const spawn = async (): Promise<string> => (await ctx.app.inject({ method: 'POST', url: '/zerglings/' })).json().zergling.id

  it('when a command asks for ?history=none or ?history=N, then the answer carries that much history and the full length', async () => {
    const id = await spawn()
    await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, payload: '"MMRLM"' })
    const none = (await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}?history=none`, payload: '"L"' })).json().zergling
    assert.equal(none.commandHistory, undefined)
    assert.equal(none.historyLength, 6)
    const lastTwo = (await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}?history=2` })).json().zergling
    assert.deepEqual(lastTwo.commandHistory, ['M', 'L'])
    const bad = await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}?history=some` })
    assert.equal(bad.statusCode, 400)
  })

  it('when a history is longer than 1000 commands, then a default answer carries the newest 1000 and links the rest, while ?history=all carries everything', async () => {
    const id = await spawn()
    const sent = ['M'.repeat(1000), 'R'.repeat(500)]
    for (const letters of sent) await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}?history=none`, payload: JSON.stringify(letters) })
    const command = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, payload: '"L"' })
    const read = await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}` })
    for (const answer of [command, read]) {
      const { zergling } = answer.json()
      assert.equal(zergling.historyLength, 1501)
      assert.equal(zergling.commandHistory.length, 1000)
      assert.equal(zergling.commandHistory.join(''), ('M'.repeat(1000) + 'R'.repeat(500) + 'L').slice(-1000))
      assert.equal(answer.headers.link, `</zerglings/${id}/history>; rel="history"`)
    }
    const all = await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}?history=all` })
    assert.equal(all.json().zergling.commandHistory.length, 1501)
    assert.equal(all.headers.link, undefined)
    const short = await ctx.app.inject({ method: 'GET', url: `/zerglings/${await spawn()}` })
    assert.deepEqual(short.json().zergling.commandHistory, [], 'a short history comes whole, as the original answered it')
    assert.equal(short.headers.link, undefined)
  })

  it('when a long history is read page by page, then the pages join up to the whole history in order', async () => {
    const id = await spawn()
    const sent = ['M'.repeat(700), 'R'.repeat(700), 'LM'.repeat(350)]
    for (const letters of sent) await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}?history=none`, payload: JSON.stringify(letters) })
    let url = `/zerglings/${id}/history?limit=800`
    let joined = ''
    for (let page = 0; page < 10; page++) {
      const body = (await ctx.app.inject({ method: 'GET', url })).json()
      assert.equal(body.total, 2100)
      joined += (body.history as string[]).join('')
      if (body.next === undefined) break
      url = `/zerglings/${id}/history?limit=800&cursor=${encodeURIComponent(body.next as string)}`
    }
    assert.equal(joined, sent.join(''))
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}/history?cursor=bogus` })).statusCode, 400)
  })

  it('when a command is retried with its Idempotency-Key, then the first answer comes back marked as a replay and nothing moves twice', async () => {
    const id = await spawn()
    const headers = { 'idempotency-key': 'retry-7d1e' }
    const first = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, headers, payload: '"M"' })
    const again = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}/_action`, headers, payload: '"M"' })
    assert.equal(again.statusCode, 200)
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.equal(first.headers['idempotent-replayed'], undefined)
    assert.deepEqual(again.json(), first.json())
    assert.deepEqual((await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}` })).json().zergling.location, { x: 0, y: 1 })
  })

  it('when an Idempotency-Key is reused for other commands, then it answers 422 and nothing moves', async () => {
    const id = await spawn()
    const headers = { 'idempotency-key': 'reuse-0b2c' }
    await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, headers, payload: '"M"' })
    const reused = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, headers, payload: '"R"' })
    assert.equal(reused.statusCode, 422)
    assert.equal(reused.json().error, 'idempotency_key_reused')
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/zerglings/${id}` })).json().zergling.facing, 'N')
  })

  it('when a spawn is retried with its Idempotency-Key, then the same zergling comes back and no second one exists', async () => {
    const before = (await ctx.app.inject({ method: 'GET', url: '/zerglings/?limit=1000' })).json().zerglings.length
    const headers = { 'idempotency-key': 'spawn-5a9f' }
    const first = await ctx.app.inject({ method: 'POST', url: '/zerglings/', headers })
    const again = await ctx.app.inject({ method: 'POST', url: '/zerglings/', headers })
    assert.equal(again.statusCode, 201)
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.deepEqual(again.json(), first.json())
    assert.equal((await ctx.app.inject({ method: 'GET', url: '/zerglings/?limit=1000' })).json().zerglings.length, before + 1)
  })

  it('when an Idempotency-Key is not printable ASCII or too long, then it answers 400', async () => {
    const id = await spawn()
    for (const key of ['x'.repeat(201), 'tab\there']) {
      const response = await ctx.app.inject({ method: 'POST', url: `/zerglings/${id}`, headers: { 'idempotency-key': key }, payload: '"M"' })
      assert.equal(response.statusCode, 400, JSON.stringify(key))
    }
  })
})
