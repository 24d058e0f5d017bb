// Multi-node doubles: per-node config and listeners, 'shared' vs 'fresh' start, stopped nodes,
// and what cluster-admins.json cannot show (a stopped node, a cluster of one, shared cookies).
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { startCouchDouble, type CouchDouble, type CouchDoubleOptions } from './index.js'
import { basic, call } from './double-fetch.js'

const ADMIN = basic('admin', 'double-admin-password')
const doubles: CouchDouble[] = []
async function double (options: CouchDoubleOptions): Promise<CouchDouble> {
  const started = await startCouchDouble(options)
  doubles.push(started)
  return started
}
after(async () => { await Promise.all(doubles.map(async (d) => await d.close())) })

async function finish (url: string): Promise<{ status: number, body: unknown }> {
  const { status, body } = await call(url, 'POST', '/_cluster_setup', { auth: ADMIN, body: { action: 'finish_cluster' } })
  return { status, body }
}

async function login (url: string): Promise<string> {
  const res = await fetch(`${url}/_session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'admin', password: 'double-admin-password' }) })
  await res.arrayBuffer()
  return /^AuthSession=[^;]*/.exec(res.headers.get('set-cookie') ?? '')?.[0] ?? ''
}
const sessionName = async (url: string, cookie: string): Promise<unknown> =>
  (await (await fetch(`${url}/_session`, { headers: { cookie } })).json() as { userCtx: { name: unknown } }).userCtx.name

describe('a fresh 3-node double', () => {
  test('when started then every node has its own port, its own admin salt, and no uuid until GET / on that node', async () => {
    const couch = await double({ nodes: 3, cluster: 'fresh' })
    assert.equal(new Set(couch.urls).size, 3)
    assert.equal(couch.urls[0], couch.url)
    const hashes = [0, 1, 2].map((i) => couch.nodeConfig(i, 'admins', 'admin'))
    assert.equal(new Set(hashes).size, 3)
    for (const url of couch.urls) assert.equal((await call(url, 'GET', '/_session', { auth: ADMIN })).body.userCtx.name, 'admin')
    const uuid = (await call(couch.urls[1], 'GET', '/')).body.uuid
    assert.deepEqual([0, 1, 2].map((i) => couch.nodeConfig(i, 'couchdb', 'uuid')), [undefined, uuid, undefined])
  })

  test('when a config value is PUT through node 1 for node 2 then only node 2 holds it, and _local is the receiving node', async () => {
    const couch = await double({ nodes: 3, cluster: 'fresh' })
    const put = await call(couch.url, 'PUT', `/_node/${couch.nodeNames[2]}/_config/demo/key`, { auth: ADMIN, body: 'two' })
    assert.deepEqual([put.status, put.body], [200, ''])
    await call(couch.urls[1], 'PUT', '/_node/_local/_config/demo/key', { auth: ADMIN, body: 'one' })
    assert.deepEqual([0, 1, 2].map((i) => couch.nodeConfig(i, 'demo', 'key')), [undefined, 'one', 'two'])
  })

  test('when node 3 is stopped then it leaves all_nodes but not cluster_nodes, answers nothing, is 412 through node 1, and blocks finish_cluster until it is back', async () => {
    const couch = await double({ nodes: 3, systemDatabases: false })
    await couch.stopNode(2)
    const { body } = await call(couch.url, 'GET', '/_membership', { auth: ADMIN })
    assert.deepEqual(body, { all_nodes: couch.nodeNames.slice(0, 2), cluster_nodes: couch.nodeNames })
    await assert.rejects(fetch(`${couch.urls[2]}/_up`))
    assert.equal((await call(couch.url, 'GET', `/_node/${couch.nodeNames[2]}/_config/admins`, { auth: ADMIN })).status, 412)
    assert.deepEqual(await finish(couch.url), { status: 500, body: { error: 'setup_error', reason: 'Cluster setup timed out waiting for nodes to connect' } })
    await couch.startNode(2)
    assert.equal((await call(couch.urls[2], 'GET', '/_session', { auth: ADMIN })).body.userCtx.name, 'admin')
    assert.equal((await finish(couch.url)).status, 201)
    assert.deepEqual((await call(couch.urls[2], 'GET', '/_all_dbs', { auth: ADMIN })).body, ['_replicator', '_users'])
  })
})

describe('cookies across nodes', () => {
  test('when the nodes share secret and salt (cluster shared) then a cookie from node 1 works on node 2', async () => {
    const couch = await double({ nodes: 2 })
    const cookie = await login(couch.url)
    assert.equal(await sessionName(couch.urls[1], cookie), 'admin')
  })

  test('when the sessions expire on a shared cluster then old cookies fail everywhere and new ones still work on every node', async () => {
    const couch = await double({ nodes: 2 })
    const old = await login(couch.url)
    couch.expireSessions()
    assert.deepEqual([await sessionName(couch.url, old), await sessionName(couch.urls[1], old)], [null, null])
    assert.equal(await sessionName(couch.urls[1], await login(couch.url)), 'admin')
  })

  test('when a node has a secret but another salt for the admin (cluster fresh) then its cookies are ignored elsewhere', async () => {
    const couch = await double({ nodes: 2, cluster: 'fresh' })
    const cookie = await login(couch.url)
    await call(couch.urls[1], 'PUT', '/_node/_local/_config/chttpd_auth/secret', { auth: ADMIN, body: couch.nodeConfig(0, 'chttpd_auth', 'secret') })
    assert.deepEqual([await sessionName(couch.url, cookie), await sessionName(couch.urls[1], cookie)], ['admin', null])
  })
})

describe('finish_cluster on one node', () => {
  test('when a fresh single node without a cookie secret finishes the cluster then there is nothing to copy to: 201, then 400 already finished', async () => {
    const couch = await double({ cluster: 'fresh' })
    assert.equal(couch.nodeConfig(0, 'chttpd_auth', 'secret'), undefined)
    assert.equal((await finish(couch.url)).status, 201)
    assert.match(couch.nodeConfig(0, 'couchdb', 'uuid') ?? '', /^[0-9a-f]{32}$/)
    assert.deepEqual(await finish(couch.url), { status: 400, body: { error: 'bad_request', reason: 'Cluster is already finished' } })
  })
})
