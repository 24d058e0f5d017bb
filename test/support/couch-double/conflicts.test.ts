// Conflicted documents as CouchDB documents them (no recording covers them): made with replicated
// writes (`_bulk_docs` with new_edits false), read with conflicts, deleted_conflicts, rev+revs,
// open_revs, `_all_docs?conflicts=true`, resolved with DELETE ?rev=<loser>.
// https://docs.couchdb.org/en/stable/api/document/common.html
// https://docs.couchdb.org/en/stable/replication/conflicts.html
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startCouchDouble, type CouchDouble } from './index.js'
import { basic, call } from './double-fetch.js'

const ADMIN = basic('admin', 'double-admin-password')

describe('conflicted documents on the double', () => {
  let couch: CouchDouble
  let first: string
  before(async () => {
    couch = await startCouchDouble()
    await call(couch.url, 'PUT', '/c', { auth: ADMIN })
    first = (await call(couch.url, 'PUT', '/c/doc', { auth: ADMIN, body: { v: 1 } })).body.rev
    const branch = (hash: string, body: Record<string, unknown>): Record<string, unknown> =>
      ({ _id: 'doc', _rev: `2-${hash}`, ...body, _revisions: { start: 2, ids: [hash, first.slice(2)] } })
    const written = await call(couch.url, 'POST', '/c/_bulk_docs', {
      auth: ADMIN,
      body: { new_edits: false, docs: [branch('a'.repeat(32), { v: 'a' }), branch('b'.repeat(32), { v: 'b' }), branch('c'.repeat(32), { _deleted: true })] },
    })
    assert.deepEqual([written.status, written.body], [201, []], 'replicated writes answer only their errors')
  })
  after(async () => { await couch.close() })

  const A = `2-${'a'.repeat(32)}`
  const B = `2-${'b'.repeat(32)}`
  const C = `2-${'c'.repeat(32)}`

  test('when a replicated write has neither _rev nor _revisions then it is a 400 and nothing is stored', async () => {
    const answer = await call(couch.url, 'POST', '/c/_bulk_docs', { auth: ADMIN, body: { new_edits: false, docs: [{ _id: 'norev', v: 1 }] } })
    assert.deepEqual([answer.status, answer.body.reason], [400, 'When `new_edits: false`, the document needs `_rev` or `_revisions` specified'])
    assert.equal((await call(couch.url, 'GET', '/c/norev', { auth: ADMIN })).status, 404)
  })

  test('when read with conflicts=true then the winner (higher hash) lists the live loser, and there is no ETag', async () => {
    const answer = await call(couch.url, 'GET', '/c/doc?conflicts=true', { auth: ADMIN })
    assert.deepEqual(answer.body, { _id: 'doc', _rev: B, v: 'b', _conflicts: [A] })
    assert.equal(answer.headers.get('etag'), null)
  })

  test('when read with deleted_conflicts=true then the deleted leaf is listed', async () => {
    assert.deepEqual((await call(couch.url, 'GET', '/c/doc?deleted_conflicts=true', { auth: ADMIN })).body._deleted_conflicts, [C])
  })

  test('when a losing rev is read with revs=true then its own history comes back', async () => {
    const answer = await call(couch.url, 'GET', `/c/doc?rev=${A}&revs=true`, { auth: ADMIN })
    assert.deepEqual(answer.body, { _id: 'doc', _rev: A, v: 'a', _revisions: { start: 2, ids: ['a'.repeat(32), first.slice(2)] } })
  })

  test('when open_revs is asked for as JSON then every leaf, deleted too, is an ok entry, and unknown revs are missing', async () => {
    const json = { accept: 'application/json', authorization: ADMIN }
    const all = await (await fetch(`${couch.url}/c/doc?open_revs=all`, { headers: json })).json() as Array<{ ok: { _rev: string } }>
    assert.deepEqual(all.map((entry) => entry.ok._rev).sort(), [A, B, C])
    const listed = await (await fetch(`${couch.url}/c/doc?open_revs=${encodeURIComponent(JSON.stringify([A, '9-x']))}`, { headers: json })).json()
    assert.deepEqual(listed, [{ ok: { _id: 'doc', _rev: A, v: 'a' } }, { missing: '9-x' }])
    assert.equal((await fetch(`${couch.url}/c/nope?open_revs=all`, { headers: json })).status, 404)
  })

  test('when open_revs is asked for with Accept */* (fetch\'s default) then it is multipart/mixed, one JSON part per leaf', async () => {
    const res = await fetch(`${couch.url}/c/doc?open_revs=${encodeURIComponent(JSON.stringify([B]))}`, { headers: { authorization: ADMIN } })
    const boundary = /boundary="([^"]+)"/.exec(res.headers.get('content-type') ?? '')?.[1]
    assert.ok(boundary !== undefined, String(res.headers.get('content-type')))
    assert.equal(await res.text(), `--${boundary}\r\nContent-Type: application/json\r\n\r\n{"_id":"doc","_rev":"${B}","v":"b"}\r\n--${boundary}--`)
  })

  test('when _all_docs includes docs with conflicts=true then the row\'s doc lists the loser', async () => {
    const { body } = await call(couch.url, 'GET', '/c/_all_docs?include_docs=true&conflicts=true', { auth: ADMIN })
    assert.deepEqual(body.rows[0].doc._conflicts, [A])
  })

  test('when the loser is deleted by its rev then the winner stands alone and the loser joins the deleted conflicts', async () => {
    const deleted = await call(couch.url, 'DELETE', `/c/doc?rev=${A}`, { auth: ADMIN })
    assert.equal(deleted.status, 200)
    const { body } = await call(couch.url, 'GET', '/c/doc?conflicts=true&deleted_conflicts=true', { auth: ADMIN })
    assert.equal(body._rev, B)
    assert.equal(body._conflicts, undefined)
    assert.deepEqual(body._deleted_conflicts, [deleted.body.rev, C])
  })
})
