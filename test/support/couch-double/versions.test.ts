// What the recordings (3.4.3 only) cannot show: CouchDB 1.6.1 and 2.3.1 behaviours, admin party,
// config paths per version, clusters.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { startCouchDouble, type CouchDouble, type CouchDoubleOptions } from './index.js'
import { basic, call, type Answer } from './double-fetch.js'

const ADMIN = basic('admin', 'double-admin-password')
const doubles: CouchDouble[] = []
async function double (options: CouchDoubleOptions): Promise<CouchDouble> {
  const started = await startCouchDouble(options)
  doubles.push(started)
  return started
}
after(async () => { await Promise.all(doubles.map(async (d) => await d.close())) })

describe('a CouchDB 1.6.1 double', () => {
  test('when asked GET / then it welcomes with version 1.6.1 and a vendor version', async () => {
    const couch = await double({ version: '1.6.1' })
    const { body } = await call(couch.url, 'GET', '/')
    assert.equal(body.couchdb, 'Welcome')
    assert.equal(body.version, '1.6.1')
    assert.deepEqual(body.vendor, { name: 'The Apache Software Foundation', version: '1.6.1' })
  })

  test('when asked GET /_up then it answers 400 illegal_database_name as 1.6 did', async () => {
    const couch = await double({ version: '1.6.1' })
    const { status, body } = await call(couch.url, 'GET', '/_up')
    assert.equal(status, 400)
    assert.equal(body.error, 'illegal_database_name')
  })

  test('when no admin exists (admin party) then anyone creates databases, until the first admin is set through /_config/admins', async () => {
    const couch = await double({ version: '1.6.1', admins: {} })
    assert.equal((await call(couch.url, 'PUT', '/party')).status, 201)
    const set = await call(couch.url, 'PUT', '/_config/admins/boss', { body: 'boss-password' })
    assert.deepEqual([set.status, set.body], [200, ''])
    assert.equal((await call(couch.url, 'PUT', '/after-party')).status, 401)
    assert.equal((await call(couch.url, 'PUT', '/after-party', { auth: basic('boss', 'boss-password') })).status, 201)
    const stored = await call(couch.url, 'GET', '/_config/admins/boss', { auth: basic('boss', 'boss-password') })
    assert.match(stored.body, /^-pbkdf2-[0-9a-f]+,[0-9a-f]+,\d+$/)
  })

  test('when the 2.x config path is used then 1.6 reads it as an illegal database name', async () => {
    const couch = await double({ version: '1.6.1' })
    const { status } = await call(couch.url, 'GET', '/_node/_local/_config/admins', { auth: ADMIN })
    assert.equal(status, 400)
  })
})

describe('a CouchDB 2.3.1 double', () => {
  test('when asked GET /_up then it answers {"status":"ok"} without seeds', async () => {
    const couch = await double({ version: '2.3.1' })
    assert.deepEqual((await call(couch.url, 'GET', '/_up')).body, { status: 'ok' })
  })

  test('when a database has no _security then it is public: anonymous reads and writes, _security reads {}', async () => {
    const couch = await double({ version: '2.3.1' })
    await call(couch.url, 'PUT', '/open', { auth: ADMIN })
    assert.equal((await call(couch.url, 'PUT', '/open/doc', { body: { a: 1 } })).status, 201)
    assert.equal((await call(couch.url, 'GET', '/open/doc')).body.a, 1)
    assert.deepEqual((await call(couch.url, 'GET', '/open/_security')).body, {})
    assert.equal((await call(couch.url, 'GET', '/_all_dbs')).status, 200)
  })

  test('when admins are set through /_node/_local/_config then PUT and DELETE answer the old value and /_config is a missing database', async () => {
    const couch = await double({ version: '2.3.1' })
    assert.equal((await call(couch.url, 'PUT', '/_node/_local/_config/admins/ops', { auth: ADMIN, body: 'ops-pw' })).body, '')
    const hash = (await call(couch.url, 'PUT', '/_node/_local/_config/admins/ops', { auth: ADMIN, body: 'ops-pw' })).body
    assert.match(hash, /^-pbkdf2-/)
    assert.equal((await call(couch.url, 'GET', '/_session', { auth: basic('ops', 'ops-pw') })).body.userCtx.name, 'ops')
    const current = (await call(couch.url, 'GET', '/_node/_local/_config/admins/ops', { auth: ADMIN })).body
    assert.notEqual(current, hash, 'setting the password again stores a new hash')
    assert.equal((await call(couch.url, 'DELETE', '/_node/_local/_config/admins/ops', { auth: ADMIN })).body, current)
    assert.equal((await call(couch.url, 'GET', '/_config/admins', { auth: ADMIN })).status, 404)
  })

  test('when admin party is on in 2.x then /_session shows the anonymous user with the _admin role', async () => {
    const couch = await double({ version: '2.3.1', admins: {} })
    assert.deepEqual((await call(couch.url, 'GET', '/_session')).body.userCtx, { name: null, roles: ['_admin'] })
  })
})

describe('a CouchDB 3.4.3 double', () => {
  test('when started without admins then it refuses, as CouchDB 3 has no admin party', async () => {
    await assert.rejects(startCouchDouble({ version: '3.4.3', admins: {} }), /at least one admin/)
  })

  test('when a pre-hashed admin password from one node is written to another then the plain password works there', async () => {
    const first = await double({})
    const second = await double({})
    await call(first.url, 'PUT', '/_node/_local/_config/admins/shared', { auth: ADMIN, body: 'shared-pw' })
    const hash = (await call(first.url, 'GET', '/_node/_local/_config/admins/shared', { auth: ADMIN })).body
    await call(second.url, 'PUT', '/_node/_local/_config/admins/shared', { auth: ADMIN, body: hash })
    assert.equal((await call(second.url, 'GET', '/_node/_local/_config/admins/shared', { auth: ADMIN })).body, hash)
    assert.equal((await call(second.url, 'GET', '/_all_dbs', { auth: basic('shared', 'shared-pw') })).status, 200)
  })

  test('when adminActivationDelayMs is set then a new admin gets 401 at first and works after the delay', async () => {
    const couch = await double({ adminActivationDelayMs: 150 })
    await call(couch.url, 'PUT', '/_node/_local/_config/admins/late', { auth: ADMIN, body: 'late-pw' })
    assert.equal((await call(couch.url, 'GET', '/_all_dbs', { auth: basic('late', 'late-pw') })).status, 401)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal((await call(couch.url, 'GET', '/_all_dbs', { auth: basic('late', 'late-pw') })).status, 200)
  })

  test('when started with three shared nodes and no system databases then membership lists three and finish_cluster finishes the cluster', async () => {
    const couch = await double({ nodes: 3, systemDatabases: false })
    const { body } = await call(couch.url, 'GET', '/_membership', { auth: ADMIN })
    assert.deepEqual(body.all_nodes, couch.nodeNames)
    assert.deepEqual(body.cluster_nodes, body.all_nodes)
    assert.equal((await call(couch.url, 'GET', `/_node/${body.all_nodes[2] as string}/_config/chttpd/bind_address`, { auth: ADMIN })).status, 200)
    assert.equal((await call(couch.url, 'GET', '/_node/nonode@nohost/_config', { auth: ADMIN })).status, 412)
    // A deployed cluster binds 0.0.0.0 and has an admin: setup_httpd calls that cluster_enabled.
    assert.deepEqual((await call(couch.url, 'GET', '/_cluster_setup', { auth: ADMIN })).body, { state: 'cluster_enabled' })
    const setup = { action: 'enable_cluster', username: 'admin', password: 'double-admin-password', bind_address: '0.0.0.0', node_count: 3 }
    assert.deepEqual((await call(couch.url, 'POST', '/_cluster_setup', { auth: ADMIN, body: setup })).body, { error: 'bad_request', reason: 'Cluster is already enabled' })
    assert.equal((await call(couch.url, 'POST', '/_cluster_setup', { auth: ADMIN, body: { action: 'finish_cluster' } })).status, 201)
    assert.deepEqual((await call(couch.url, 'GET', '/_cluster_setup', { auth: ADMIN })).body, { state: 'cluster_finished' })
    assert.deepEqual((await call(couch.url, 'GET', '/_all_dbs', { auth: ADMIN })).body, ['_replicator', '_users'])
  })

  test('when a single node without system databases is enabled as a cluster then it needs a remote bind_address and node_count, and then reads cluster_enabled', async () => {
    const couch = await double({ systemDatabases: false })
    const setup = (body: Record<string, unknown>): Promise<Answer> => call(couch.url, 'POST', '/_cluster_setup', { auth: ADMIN, body: { action: 'enable_cluster', ...body } })
    assert.deepEqual((await setup({ node_count: 3 })).body, { error: 'error', reason: 'Cluster setup requires a remote bind_address (not 127.0.0.1 nor ::1)' })
    assert.deepEqual((await setup({ bind_address: '0.0.0.0' })).body, { error: 'error', reason: 'Cluster setup requires node_count to be configured' })
    assert.equal((await call(couch.url, 'GET', '/_node/_local/_config/chttpd/bind_address', { auth: ADMIN })).body, '127.0.0.1', 'a refused setup changes nothing')
    assert.equal((await setup({ bind_address: '0.0.0.0', node_count: 3 })).status, 201)
    assert.deepEqual((await call(couch.url, 'GET', '/_cluster_setup', { auth: ADMIN })).body, { state: 'cluster_enabled' })
    assert.equal((await call(couch.url, 'GET', '/_node/_local/_config/cluster/n', { auth: ADMIN })).body, '3')
  })
})
