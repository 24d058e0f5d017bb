// ETag, If-None-Match and If-Match on the zergling API (RFC 9110 §13), through `inject` on the
// embedded store; that a pinned write is race-safe on both stores is test/store/pinned-revisions.contract.ts.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'

describe('conditional requests on a zergling', () => {
  let ctx: EmbeddedApp
  before(async () => { ctx = await startEmbeddedApp() })
  after(async () => { await ctx.close() })

  const request = async (method: 'GET' | 'HEAD' | 'POST' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: string) =>
    await ctx.app.inject({ method, url, headers, payload })
  /** A new zergling and its ETag. */
  const spawn = async (): Promise<{ id: string, etag: string }> => {
    const response = await request('POST', '/zerglings/')
    return { id: response.json().zergling.id, etag: String(response.headers.etag) }
  }
  const read = async (id: string): Promise<{ _rev: string, historyLength: number }> => (await request('GET', `/zerglings/${id}`)).json().zergling

  it('when a zergling is spawned, read or commanded, then each answer\'s ETag is the revision it shows, quoted; a delete\'s answer has none', async () => {
    const { id, etag } = await spawn()
    const read1 = await request('GET', `/zerglings/${id}`)
    assert.equal(etag, `"${read1.json().zergling._rev as string}"`)
    assert.equal(read1.headers.etag, etag)
    for (const url of [`/zerglings/${id}`, `/zerglings/${id}/_action`]) {
      const moved = await request('POST', url, {}, '"M"')
      assert.equal(moved.headers.etag, `"${moved.json().zergling._rev as string}"`)
      assert.notEqual(moved.headers.etag, etag)
    }
    const deleted = await request('DELETE', `/zerglings/${id}`)
    assert.equal(deleted.statusCode, 200)
    assert.equal(deleted.headers.etag, undefined)
  })

  it('when If-None-Match names the current revision (strong, weak or *), then GET and HEAD answer 304 with the ETag and no body', async () => {
    const { id, etag } = await spawn()
    for (const tag of [etag, `W/${etag}`, `"0-other", ${etag}`, '*']) {
      for (const method of ['GET', 'HEAD'] as const) {
        const response = await request(method, `/zerglings/${id}?history=all`, { 'if-none-match': tag })
        assert.equal(response.statusCode, 304, `${method} If-None-Match: ${tag}`)
        assert.equal(response.body, '')
        assert.equal(response.headers.etag, etag)
      }
    }
  })

  it('when If-None-Match names a revision the zergling moved on from, then GET answers 200 with the new state', async () => {
    const { id, etag } = await spawn()
    await request('POST', `/zerglings/${id}`, {}, '"M"')
    const response = await request('GET', `/zerglings/${id}`, { 'if-none-match': etag })
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json().zergling.commandHistory, ['M'])
  })

  it('when a command names a stale revision in If-Match, then it answers 412 with the current _rev and ETag, and nothing changes', async () => {
    const { id, etag } = await spawn()
    const moved = await request('POST', `/zerglings/${id}`, { 'if-match': etag }, '"M"')
    assert.equal(moved.statusCode, 200)
    const current = moved.json().zergling._rev as string
    for (const url of [`/zerglings/${id}`, `/zerglings/${id}/_action`]) {
      const stale = await request('POST', url, { 'if-match': etag }, '"LLM"')
      assert.equal(stale.statusCode, 412)
      assert.deepEqual(stale.json(), { error: 'precondition_failed', reason: stale.json().reason, _rev: current })
      assert.match(stale.json().reason, new RegExp(current))
      assert.equal(stale.headers.etag, `"${current}"`)
    }
    const after = await read(id)
    assert.deepEqual({ rev: after._rev, length: after.historyLength }, { rev: current, length: 1 })
  })

  it('when a delete names a stale revision in If-Match, then it answers 412 and the zergling stays; naming the current one, it deletes', async () => {
    const { id, etag } = await spawn()
    const current = (await request('POST', `/zerglings/${id}`, {}, '"M"')).headers.etag as string
    const stale = await request('DELETE', `/zerglings/${id}`, { 'if-match': etag })
    assert.equal(stale.statusCode, 412)
    assert.equal(stale.headers.etag, current)
    assert.equal((await read(id)).historyLength, 1)
    assert.equal((await request('DELETE', `/zerglings/${id}`, { 'if-match': current })).statusCode, 200)
    assert.equal((await request('GET', `/zerglings/${id}`)).statusCode, 404)
  })

  it('when If-Match is * or lists the current revision among others, then the command is applied', async () => {
    const { id, etag } = await spawn()
    assert.equal((await request('POST', `/zerglings/${id}`, { 'if-match': '*' }, '"M"')).statusCode, 200)
    const { _rev: rev } = await read(id)
    assert.equal((await request('POST', `/zerglings/${id}`, { 'if-match': `${etag}, "${rev}"` }, '"M"')).statusCode, 200)
    assert.equal((await read(id)).historyLength, 2)
  })

  it('when If-Match holds only a weak tag of the current revision, then the command is refused (If-Match compares strongly)', async () => {
    const { id, etag } = await spawn()
    assert.equal((await request('POST', `/zerglings/${id}`, { 'if-match': `W/${etag}` }, '"M"')).statusCode, 412)
    assert.equal((await read(id)).historyLength, 0)
  })

  it('when If-Match is not a list of ETags, then the command answers 400 saying how to send it, and nothing changes', async () => {
    const { id, etag } = await spawn()
    for (const header of [etag.slice(1, -1), `${etag},`, '"unterminated']) {
      const response = await request('POST', `/zerglings/${id}`, { 'if-match': header }, '"M"')
      assert.equal(response.statusCode, 400, header)
      assert.match(response.json().reason, /If-Match/)
    }
    assert.equal((await read(id)).historyLength, 0)
  })

  it('when the zergling does not exist, then a conditional request answers 404, not 304 or 412', async () => {
    const missing = 'c4a24574-4ca8-4fbd-93e1-2a648147a71f'
    assert.equal((await request('GET', `/zerglings/${missing}`, { 'if-none-match': '*' })).statusCode, 404)
    assert.equal((await request('POST', `/zerglings/${missing}`, { 'if-match': '"1-abc"' }, '"M"')).statusCode, 404)
    assert.equal((await request('DELETE', `/zerglings/${missing}`, { 'if-match': '*' })).statusCode, 404)
  })
})
