// A client generated from /openapi.json (openapi-typescript types, openapi-fetch calls) replays
// the seed's curl session and the conditional requests, typed end to end: `npm run typecheck`
// type-checks this file against the generated types, which this test keeps current.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import createClient from 'openapi-fetch'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'
import { generateTypes, TYPES_FILE } from './openapi-client/generate.js'
import type { paths } from './openapi-client/overmind-api.js'

describe('a client generated from the OpenAPI document', () => {
  let ctx: EmbeddedApp
  let client: ReturnType<typeof createClient<paths>>
  before(async () => {
    ctx = await startEmbeddedApp()
    client = createClient<paths>({ baseUrl: await ctx.app.listen({ host: '127.0.0.1', port: 0 }) })
  })
  after(async () => { await ctx.close() })

  it('when the types are generated from the served document, then they are the committed ones', async () => {
    const generated = await generateTypes((await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json())
    if (process.env.OVERMIND_WRITE_OPENAPI_TYPES === '1') writeFileSync(TYPES_FILE, generated)
    assert.equal(readFileSync(TYPES_FILE, 'utf8'), generated, 'the committed types are out of date: run this test with OVERMIND_WRITE_OPENAPI_TYPES=1 and commit the file')
  })

  it('when the seed\'s session is replayed through it, then it sees what the blog post shows', async () => {
    const health = await client.GET('/_health')
    assert.equal(health.data?.health.brain, 'ok')
    const spawned = []
    for (let i = 0; i < 3; i++) {
      const { data, response } = await client.POST('/zerglings')
      assert.equal(response.status, 201)
      assert.deepEqual(data?.zergling, { id: data!.zergling.id, location: { x: 0, y: 0 }, facing: 'N' })
      assert.equal(response.headers.get('location'), `/zerglings/${data!.zergling.id}`)
      spawned.push(data!.zergling.id)
    }
    const listed = (await client.GET('/zerglings')).data!.zerglings
    for (const id of spawned) assert.deepEqual(listed.find((zergling) => zergling.id === id), { id, location: { x: 0, y: 0 }, facing: 'N' })

    const path = { id: spawned[1]! }
    const turned = (await client.POST('/zerglings/{id}', { params: { path }, body: 'L' })).data!.zergling
    assert.deepEqual({ location: turned.location, facing: turned.facing, history: turned.commandHistory }, { location: { x: 0, y: 0 }, facing: 'W', history: ['L'] })
    const moved = (await client.POST('/zerglings/{id}', { params: { path }, body: 'M' })).data!.zergling
    assert.deepEqual({ location: moved.location, facing: moved.facing, history: moved.commandHistory }, { location: { x: -1, y: 0 }, facing: 'W', history: ['L', 'M'] })
    assert.match(moved._rev, /^3-/)
    assert.equal((await client.GET('/zerglings/{id}', { params: { path } })).data!.zergling._rev, moved._rev)
  })

  it('when it reads, commands and deletes with the ETags it was given, then 304 and 412 come back typed', async () => {
    const id = (await client.POST('/zerglings')).data!.zergling.id
    const read = await client.GET('/zerglings/{id}', { params: { path: { id } } })
    const etag = read.response.headers.get('etag')!
    const unchanged = await client.GET('/zerglings/{id}', { params: { path: { id }, header: { 'if-none-match': etag } } })
    assert.equal(unchanged.response.status, 304)
    const moved = await client.POST('/zerglings/{id}/_action', { params: { path: { id }, header: { 'if-match': etag } }, body: 'MM' })
    assert.equal(moved.data?.zergling.historyLength, 2)
    const stale = await client.DELETE('/zerglings/{id}', { params: { path: { id }, header: { 'if-match': etag } } })
    assert.equal(stale.response.status, 412)
    // The error is one of the operation's error bodies; only the 412's has `_rev`.
    assert.ok(stale.error !== undefined && '_rev' in stale.error)
    assert.equal(stale.error._rev, moved.data?.zergling._rev)
    const page = await client.GET('/zerglings/{id}/history', { params: { path: { id }, query: { limit: 1 } } })
    assert.deepEqual(page.data, { history: ['M'], total: 2, next: page.data?.next })
    // @ts-expect-error the generated types know `limit` is a number: a client cannot send it wrong
    await client.GET('/zerglings/{id}/history', { params: { path: { id }, query: { limit: 'one' } } })
  })
})
