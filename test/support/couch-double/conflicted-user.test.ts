// A `_users` document with conflicting revisions authenticates nobody, as CouchDB 3.4.3's
// chttpd_auth_cache:maybe_validate_user_creds refuses it (401) before any password is compared:
// so the refusal counts nothing toward the lockout, and deleting the losing revision ends it.
// https://github.com/apache/couchdb/blob/3.4.3/src/chttpd/src/chttpd_auth_cache.erl
import assert from 'node:assert/strict'
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { startCouchDouble, type CouchDouble } from './index.js'
import { basic, call } from './double-fetch.js'

const ADMIN = basic('admin', 'double-admin-password')
const USER = { name: 'racer', password: 'racer-password' }
const PATH = `/_users/${encodeURIComponent(`org.couchdb.user:${USER.name}`)}`
const user = { _id: `org.couchdb.user:${USER.name}`, name: USER.name, type: 'user', roles: [] }
const REFUSED = 'User document conflicts must be resolved before the document is used for authentication purposes.'

describe('a conflicted _users document on the double', () => {
  let couch: CouchDouble
  let sibling: string
  before(async () => {
    couch = await startCouchDouble()
    await call(couch.url, 'PUT', '/_users', { auth: ADMIN })
    assert.equal((await call(couch.url, 'PUT', PATH, { auth: ADMIN, body: { ...user, password: USER.password } })).status, 201)
    // What a second coordinator's racing create leaves on a cluster: another generation-1 revision,
    // the same password hashed with its own salt.
    const salt = randomBytes(16).toString('hex')
    const hash = randomBytes(16).toString('hex')
    sibling = `1-${hash}`
    const planted = await call(couch.url, 'POST', '/_users/_bulk_docs', {
      auth: ADMIN,
      body: {
        new_edits: false,
        docs: [{
          ...user,
          _rev: sibling,
          _revisions: { start: 1, ids: [hash] },
          password_scheme: 'pbkdf2',
          pbkdf2_prf: 'sha256',
          iterations: 10,
          salt,
          derived_key: pbkdf2Sync(USER.password, salt, 10, 32, 'sha256').toString('hex')
        }]
      }
    })
    assert.equal(planted.status, 201)
    assert.equal((await call(couch.url, 'GET', `${PATH}?conflicts=true`, { auth: ADMIN })).body._conflicts.length, 1)
    couch.resetCounters()
  })
  after(async () => { await couch.close() })

  test('when the user logs in with the right password, by Basic auth or POST /_session, then it is a 401 naming the conflicts, counted as no failure', async () => {
    for (let i = 0; i < 6; i++) {
      const basicAuth = await call(couch.url, 'GET', '/_session', { auth: basic(USER.name, USER.password) })
      assert.deepEqual([basicAuth.status, basicAuth.body], [401, { error: 'unauthorized', reason: REFUSED }])
      const session = await call(couch.url, 'POST', '/_session', { body: USER })
      assert.deepEqual([session.status, session.body], [401, { error: 'unauthorized', reason: REFUSED }])
    }
    assert.equal(couch.authFailures, 0, 'twelve refusals, none of them a lockout failure: no 403 follows')
  })

  test('when a server admin of the [admins] section logs in meanwhile, then it is unaffected', async () => {
    assert.equal((await call(couch.url, 'GET', '/_session', { auth: ADMIN })).status, 200)
  })

  test('when every revision but one is deleted, then the user logs in again', async () => {
    const { body } = await call(couch.url, 'GET', `${PATH}?conflicts=true`, { auth: ADMIN })
    assert.equal((await call(couch.url, 'DELETE', `${PATH}?rev=${body._conflicts[0] as string}`, { auth: ADMIN })).status, 200)
    const session = await call(couch.url, 'POST', '/_session', { body: USER })
    assert.deepEqual([session.status, session.body.name], [200, USER.name])
    assert.equal((await call(couch.url, 'GET', '/_session', { auth: basic(USER.name, USER.password) })).body.userCtx.name, USER.name)
  })
})
