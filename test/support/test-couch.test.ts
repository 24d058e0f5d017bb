// startTestCouch: the double by default (or the real CouchDB of COUCHDB_TEST_URL), with working
// credentials and database names it cleans up.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startTestCouch, type TestCouch } from './test-couch.js'

let couch: TestCouch
before(async () => { couch = await startTestCouch() })
after(async () => { await couch.close() })

const auth = (): string => 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64')

test('when started then its url has no credentials and its credentials are a server admin', async () => {
  assert.doesNotMatch(couch.url, /@|\/$/)
  const res = await fetch(`${couch.url}/_session`, { headers: { authorization: auth() } })
  const body = await res.json() as { userCtx: { roles: string[] } }
  assert.ok(body.userCtx.roles.includes('_admin'))
})

test('when a unique database name is created and deleted then it is legal, distinct, and gone afterwards', async () => {
  const name = couch.uniqueDatabaseName('Test_Couch')
  assert.match(name, /^[a-z][a-z0-9_$()+/-]*$/)
  assert.notEqual(name, couch.uniqueDatabaseName('Test_Couch'))
  assert.equal((await fetch(`${couch.url}/${name}`, { method: 'PUT', headers: { authorization: auth() } })).status, 201)
  await couch.deleteDatabase(name)
  await couch.deleteDatabase(name) // a missing database is fine
  assert.equal((await fetch(`${couch.url}/${name}`, { headers: { authorization: auth() } })).status, 404)
})
