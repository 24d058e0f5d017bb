// Issue 10's "done when", on the double's three nodes started the way the CouchDB Helm chart starts
// them (`cluster: 'fresh'`: each node hashed the admin password with its own salt, no couchdb/uuid,
// no chttpd_auth/secret, no system databases), with auth lockout on as in CouchDB 3.4. Each run
// talks to another node, as consecutive requests through a Kubernetes Service may.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { startCouchDouble, type CouchDouble } from '../support/couch-double/index.js'
import { runOvermind } from '../support/overmind-process.js'
import { ADMIN, ADMIN_PASSWORD, APP_PASSWORD, bootstrapEnv, couchRequest, runJson, statuses } from './helpers.js'

const SKIP = process.env.COUCHDB_TEST_URL !== undefined && process.env.COUCHDB_TEST_URL !== ''
  ? 'needs three fresh CouchDB nodes started Helm-style, and one of them stopped on cue; COUCHDB_TEST_URL names one set-up server'
  : false

const admin = { name: ADMIN, password: ADMIN_PASSWORD }
const SHARED = [['admins', ADMIN], ['couchdb', 'uuid'], ['chttpd_auth', 'secret']] as const

describe('bootstrap on three fresh Helm-style CouchDB 3.4 nodes', { skip: SKIP }, () => {
  const doubles: CouchDouble[] = []
  after(async () => { await Promise.all(doubles.map(async (double) => await double.close())) })

  async function freshCluster (): Promise<CouchDouble> {
    const double = await startCouchDouble({ version: '3.4.3', nodes: 3, cluster: 'fresh', admins: { [ADMIN]: ADMIN_PASSWORD } })
    doubles.push(double)
    return double
  }
  const env = (url: string, extra: Record<string, string> = {}): Record<string, string> =>
    bootstrapEnv(url, { OVERMIND_COUCHDB_NODES: '3', COUCHDB_APP_USERNAME: 'overmind', COUCHDB_APP_PASSWORD: APP_PASSWORD, ...extra })

  it('when three bootstraps run at once, one as a process, then all exit 0 and every node shares one hash, uuid and secret; a rerun writes nothing', async () => {
    const double = await freshCluster()
    const ownHashes = [0, 1, 2].map((i) => double.nodeConfig(i, 'admins', ADMIN))
    assert.equal(new Set(ownHashes).size, 3, 'the nodes start with a hash each')

    const child = runOvermind(['bootstrap', '--json'], env(double.urls[0]!))
    const [inProcessB, inProcessC] = await Promise.all([runJson([], env(double.urls[1]!)), runJson([], env(double.urls[2]!))])
    assert.equal(await child.exited, 0, child.output())
    for (const run of [inProcessB, inProcessC]) assert.equal(run.code, 0, run.stdout + run.stderr)

    for (const [section, key] of SHARED) {
      const values = new Set([0, 1, 2].map((i) => double.nodeConfig(i, section, key)))
      assert.equal(values.size, 1, `one ${section}/${key} on every node`)
      assert.notEqual([...values][0], undefined, `${section}/${key} is set`)
    }
    assert.equal(double.nodeConfig(1, 'admins', ADMIN), ownHashes[0], 'the first node\'s own hash is kept')
    assert.match(double.nodeConfig(0, 'chttpd_auth', 'secret') ?? '', /^[0-9a-f]{32}$/)

    // A cookie from node 1 is good on nodes 2 and 3 (same secret, same salt).
    const login = await fetch(`${double.urls[0]!}/_session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) })
    const cookie = /AuthSession=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0]
    assert.ok(cookie !== undefined, 'POST /_session on node 1 sets a cookie')
    for (const url of double.urls.slice(1)) {
      const session = await (await fetch(`${url}/_session`, { headers: { cookie } })).json() as { userCtx: { name: string | null } }
      assert.equal(session.userCtx.name, ADMIN, `the node-1 cookie is accepted at ${url}`)
    }
    for (const url of double.urls) {
      for (const db of ['_users', '_replicator', 'zerglings']) assert.equal((await couchRequest(url, 'HEAD', `/${db}`, admin)).status, 200, `${db} through ${url}`)
    }

    double.resetCounters()
    const rerun = await runJson([], env(double.urls[1]!))
    assert.equal(rerun.code, 0, rerun.stderr)
    for (const [name, status] of Object.entries(statuses(rerun.report))) assert.ok(['unchanged', 'skipped'].includes(status), `${name} is ${status}`)
    assert.equal(double.writes, 0)
    assert.equal(double.authFailures, 0)
    const cluster = rerun.report.steps.find((step) => step.name === 'cluster')!
    assert.deepEqual(cluster.nodes, Object.fromEntries(double.nodeNames.map((node) => [node, []])))
  })

  it('when one run finishes the cluster, then its report says per node what it copied and that it created the system databases', async () => {
    const double = await freshCluster()
    const run = await runJson(['wait', 'admin', 'cluster'], env(double.urls[2]!))
    assert.equal(run.code, 0, run.stderr)
    const cluster = run.report.steps.find((step) => step.name === 'cluster')!
    assert.equal(cluster.status, 'updated')
    assert.match(cluster.message, new RegExp(`${double.nodeNames[1]!.replace(/\./g, '\\.')}: admin hash, (uuid, )?secret written`))
    assert.match(cluster.message, /finished the cluster \(created _users and _replicator\)\.$/)
    assert.deepEqual(cluster.nodes?.[double.nodeNames[2]!]?.includes('admin hash'), true)
  })

  it('when a node is stopped, then bootstrap exits 1 within its --timeout naming that node, and writes nothing', async () => {
    const double = await freshCluster()
    await double.stopNode(2)
    double.resetCounters()
    const started = Date.now()
    const run = await runJson(['--timeout', '1s'], env(double.urls[0]!))
    assert.equal(run.code, 1)
    assert.ok(Date.now() - started < 15_000, 'it gives up (generous bound for a loaded machine)')
    const cluster = run.report.steps.find((step) => step.name === 'cluster')!
    assert.equal(cluster.status, 'failed')
    assert.match(cluster.message, new RegExp(`not complete after 1\\.0 s: ${double.nodeNames[2]!.replace(/\./g, '\\.')} is in cluster_nodes but not connected`))
    assert.equal(double.writes, 0)
  })
})
