// The double's `_all_docs` offsets (id-index.ts), caught up from the changes feed between pages:
// after creates, deletes and re-creates, each page's `offset` is the number of ids before its
// start key, as CouchDB reads it from its b-tree.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startCouchDouble, type CouchDouble } from './index.js'
import { basic, call } from './double-fetch.js'

const ADMIN = basic('admin', 'double-admin-password')

describe('the double\'s _all_docs offsets', () => {
  let couch: CouchDouble
  before(async () => {
    couch = await startCouchDouble()
    await call(couch.url, 'PUT', '/offsets', { auth: ADMIN })
  })
  after(async () => { await couch.close() })

  const offsetAt = async (key: string): Promise<number> =>
    (await call(couch.url, 'GET', `/offsets/_all_docs?limit=1&startkey=${encodeURIComponent(JSON.stringify(key))}`, { auth: ADMIN })).body.offset
  const bulk = async (docs: object[]): Promise<void> => {
    assert.equal((await call(couch.url, 'POST', '/offsets/_bulk_docs', { auth: ADMIN, body: { docs } })).status, 201)
  }

  test('when documents are created, deleted and created again between pages, then each offset counts the ids before the key', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `doc-${String(i * 7 % 300).padStart(3, '0')}`)
    await bulk(ids.slice(0, 100).map((_id) => ({ _id })))
    assert.equal(await offsetAt('doc-150'), ids.slice(0, 100).filter((id) => id < 'doc-150').length)
    await bulk(ids.slice(100).map((_id) => ({ _id })))
    const revs = new Map<string, string>((await call(couch.url, 'GET', '/offsets/_all_docs', { auth: ADMIN })).body.rows.map((row: { id: string, value: { rev: string } }) => [row.id, row.value.rev]))
    // Every third one goes, and of those every other one comes back.
    const gone = [...revs.keys()].filter((_, i) => i % 3 === 0)
    await bulk(gone.map((_id) => ({ _id, _rev: revs.get(_id), _deleted: true })))
    const back = gone.filter((_, i) => i % 2 === 0)
    await bulk(back.map((_id) => ({ _id, _rev: undefined })))
    const present = new Set([...revs.keys()].filter((id) => !gone.includes(id) || back.includes(id)))
    for (const key of ['doc-000', 'doc-001', 'doc-150', 'doc-299', 'doc-3']) {
      assert.equal(await offsetAt(key), [...present].filter((id) => id < key).length, key)
    }
  })
})
