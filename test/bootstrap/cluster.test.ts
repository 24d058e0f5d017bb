// The `cluster` step and the one-attempt credential rule against a scripted three-node CouchDB 3.4
// behind a Service (test/bootstrap/scripted-cluster.ts): what the real nodes did in
// cluster-admins.json and auth-lockout.json, including what no double can be asked to do on cue.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chooseValues, planWrites, type SharedSetting } from '../../src/bootstrap/cluster-config.js'
import { finishMeaning } from '../../src/bootstrap/finish-cluster.js'
import { describeIncomplete, isComplete } from '../../src/bootstrap/membership.js'
import { runSteps } from '../../src/bootstrap/runner.js'
import type { StepName } from '../../src/bootstrap/steps.js'
import type { BootstrapSettings } from '../../src/bootstrap/types.js'
import { quickHash, scriptedCluster } from './scripted-cluster.js'

const ADMIN = { name: 'admin', password: 'cluster-admin-password' }
const STEPS: StepName[] = ['wait', 'admin', 'cluster', 'system-databases']

function settings (extra: Partial<BootstrapSettings> = {}): BootstrapSettings {
  return { url: 'http://couchdb:5984', username: ADMIN.name, password: ADMIN.password, database: 'zerglings', nodes: 3, waitTimeoutMs: 2000, requestTimeoutMs: 1000, ...extra }
}

async function run (cluster: ReturnType<typeof scriptedCluster>, extra: Partial<BootstrapSettings> = {}, steps = STEPS) {
  return await runSteps(settings(extra), { steps, client: cluster.client })
}

const step = (report: Awaited<ReturnType<typeof run>>, name: StepName) => report.steps.find((candidate) => candidate.name === name)!

/** Every node's value of each shared setting: one set per setting when they agree. */
function shared (cluster: ReturnType<typeof scriptedCluster>): Array<Set<string | undefined>> {
  return [['admins', ADMIN.name], ['couchdb', 'uuid'], ['chttpd_auth', 'secret']].map(([section, key]) =>
    new Set(cluster.nodes.map((_, i) => cluster.value(i, section!, key!))))
}

describe('choosing what every node shares', () => {
  const nodes = ['couchdb@a', 'couchdb@b', 'couchdb@c']
  const kept = (label: string, keep: (value: string) => boolean): SharedSetting =>
    ({ label, section: label, key: label, keeps: async (value) => keep(value), fresh: async () => `new-${label}` })
  const settings = [kept('admin hash', (value) => value.startsWith('ok')), kept('secret', (value) => value !== '')]

  it('when several nodes have a value to keep, then the first in name order wins and only the others are written', async () => {
    const readings = [['bad-a', undefined], ['ok-b', 's-b'], ['ok-c', 's-c']]
    const choices = await chooseValues(nodes, settings, readings)
    assert.deepEqual(choices, [{ value: 'ok-b', from: 'couchdb@b' }, { value: 's-b', from: 'couchdb@b' }])
    assert.deepEqual(planWrites(nodes, settings, readings, choices).map((write) => `${write.node} ${write.setting.label}=${write.value}`),
      ['couchdb@a admin hash=ok-b', 'couchdb@a secret=s-b', 'couchdb@c admin hash=ok-b', 'couchdb@c secret=s-b'])
  })

  it('when no node has a value to keep, then a new one goes to every node; when all agree, nothing is written', async () => {
    const none = [[undefined, ''], ['bad', undefined], [undefined, undefined]]
    const choices = await chooseValues(nodes, settings, none)
    assert.deepEqual(choices, [{ value: 'new-admin hash' }, { value: 'new-secret' }])
    assert.equal(planWrites(nodes, settings, none, choices).length, 6)
    const agreed = nodes.map(() => ['ok', 's'])
    assert.deepEqual(planWrites(nodes, settings, agreed, await chooseValues(nodes, settings, agreed)), [])
  })
})

describe('membership', () => {
  it('when a known node is not connected, then the cluster is incomplete and the node is named', () => {
    const membership = { all: ['couchdb@a', 'couchdb@b'], cluster: ['couchdb@a', 'couchdb@b', 'couchdb@c'] }
    assert.equal(isComplete(membership, 2), false)
    assert.equal(describeIncomplete(membership, 3), 'couchdb@c is in cluster_nodes but not connected (all_nodes: couchdb@a, couchdb@b); expected 3 nodes')
  })

  it('when fewer nodes than expected have joined, then it says how many it saw', () => {
    const membership = { all: ['couchdb@a'], cluster: ['couchdb@a'] }
    assert.equal(isComplete(membership, 1), true)
    assert.equal(describeIncomplete(membership, 3), 'expected 3 nodes, saw 1: couchdb@a')
  })
})

describe('finish_cluster refusals', () => {
  it('when CouchDB says it could not sync admin passwords, then the meaning names the copies it makes, the secret first', () => {
    assert.match(finishMeaning({ status: 500, body: { error: 'setup_error', reason: 'Cluster setup unable to sync admin passwords' } }), /admins, couchdb\/uuid or chttpd_auth\/secret .*without chttpd_auth\/secret/)
    assert.match(finishMeaning({ status: 500, body: { error: 'setup_error', reason: 'Cluster setup timed out waiting for nodes to connect' } }), /did not connect/)
  })
})

describe('cluster on three Helm-style nodes behind a Service', () => {
  it('when bootstrapped once, then every node holds the first node\'s hash, one uuid and one new secret, and the cluster is finished', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    const firstHash = cluster.value(0, 'admins', ADMIN.name)
    const report = await run(cluster)
    assert.equal(report.ok, true, JSON.stringify(report.steps))
    const [hashes, uuids, secrets] = shared(cluster)
    assert.deepEqual(hashes, new Set([firstHash]))
    assert.equal(uuids!.size, 1)
    assert.equal(secrets!.size, 1)
    assert.match([...secrets!][0]!, /^[0-9a-f]{32}$/)
    assert.deepEqual([...cluster.databases].sort(), ['_replicator', '_users'])
    assert.equal(cluster.calls.filter((call) => call.startsWith('POST /_cluster_setup')).length, 1)
    const { status, message, nodes } = step(report, 'cluster')
    assert.equal(status, 'updated')
    assert.match(message, /^3 nodes share one admin hash, uuid and secret \(admin hash of couchdb@couchdb-0\.couchdb, uuid of couchdb@couchdb-\d\.couchdb, new secret\): /)
    assert.match(message, /couchdb@couchdb-1\.couchdb: admin hash, (uuid, )?secret written/)
    assert.match(message, /; finished the cluster \(created _users and _replicator\)\.$/)
    assert.deepEqual(nodes?.['couchdb@couchdb-0.couchdb']?.includes('admin hash'), false)
    assert.deepEqual(nodes?.['couchdb@couchdb-2.couchdb']?.includes('secret'), true)
    assert.equal(step(report, 'system-databases').status, 'unchanged')
    assert.equal(message.includes([...secrets!][0]!), false, 'the secret is never printed')
  })

  it('when dry-running, then it says per node what it would write and that it would finish the cluster, and writes nothing', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    const report = await runSteps(settings(), { steps: STEPS, client: cluster.client, dryRun: true })
    assert.equal(report.ok, true)
    assert.match(step(report, 'cluster').message, /^would write couchdb@couchdb-0\.couchdb: (uuid, )?secret; couchdb@couchdb-1\.couchdb: admin hash, (uuid, )?secret; .*, then finish the cluster \(creating _users and _replicator\)\.$/)
    assert.equal(cluster.writes, 0)
    assert.equal(cluster.calls.some((call) => call.startsWith('PUT') || call.startsWith('POST')), false)
  })

  it('when run again, then cluster is unchanged on every node and nothing is written, finish_cluster included', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    assert.equal((await run(cluster)).ok, true)
    cluster.writes = 0
    cluster.calls.length = 0
    const again = await run(cluster)
    assert.deepEqual(again.steps.map((s) => s.status), ['unchanged', 'unchanged', 'unchanged', 'unchanged'])
    assert.match(step(again, 'cluster').message, /couchdb@couchdb-0\.couchdb: unchanged; .*_users and _replicator exist/)
    assert.equal(cluster.writes, 0)
    assert.equal(cluster.calls.some((call) => call.startsWith('POST')), false)
  })

  it('when three runs race, then all succeed and leave one hash, uuid and secret on every node', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    const reports = await Promise.all([1, 2, 3].map(async () => await run(cluster)))
    for (const report of reports) assert.equal(report.ok, true, JSON.stringify(report.steps))
    for (const values of shared(cluster)) assert.equal(values.size, 1)
    assert.deepEqual([...cluster.databases].sort(), ['_replicator', '_users'])
    cluster.writes = 0
    assert.equal(step(await run(cluster), 'cluster').status, 'unchanged')
    assert.equal(cluster.writes, 0)
  })

  it('when the operator gave every node the same secret and uuid (COUCHDB_SECRET), then only the admin hashes are written', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    for (const node of cluster.nodes) {
      node.config.set('chttpd_auth/secret', 'operator-secret-from-a-kubernetes-secret')
      node.config.set('couchdb/uuid', '6079104e80dd8631d7f700bd0dd5b470')
    }
    const report = await run(cluster)
    assert.equal(report.ok, true)
    assert.deepEqual(shared(cluster)[2], new Set(['operator-secret-from-a-kubernetes-secret']))
    assert.deepEqual(Object.values(step(report, 'cluster').nodes ?? {}), [[], ['admin hash'], ['admin hash']])
  })

  it('when a node is down, then cluster fails within its timeout naming the node, and nothing was written', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    cluster.nodes[2]!.up = false
    const started = Date.now()
    const report = await run(cluster, { waitTimeoutMs: 400 })
    assert.equal(report.ok, false)
    assert.match(step(report, 'cluster').message, /couchdb@couchdb-2\.couchdb is in cluster_nodes but not connected/)
    assert.ok(Date.now() - started < 5000)
    assert.equal(cluster.writes, 0)
  })

  it('when finish_cluster answers 500 anyway, then the failure says what it means and what each node holds now', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    const refuse = { status: 500, body: { error: 'setup_error', reason: 'Cluster setup unable to sync admin passwords' } }
    cluster.finishAnswer = () => refuse
    const report = await run(cluster)
    const { status, message } = step(report, 'cluster')
    assert.equal(status, 'failed')
    assert.match(message, /^finish_cluster failed \(500 setup_error: Cluster setup unable to sync admin passwords\): the node that received it could not copy/)
    assert.match(message, /Before it, 3 nodes share one admin hash, uuid and secret \(.*\): couchdb@couchdb-0\.couchdb: uuid, secret written; /)
    assert.match(message, /; now all 3 nodes still hold the same admin hash, uuid and secret\.$/)
    assert.equal(step(report, 'system-databases').status, 'skipped')

    // A node that lost its secret meanwhile (restarted without it) is named.
    cluster.finishAnswer = () => { cluster.nodes[1]!.config.delete('chttpd_auth/secret'); return refuse }
    assert.match(step(await run(cluster, {}, ['cluster']), 'cluster').message, /; now couchdb@couchdb-1\.couchdb: secret missing\.$/)
  })

  it('when finish_cluster answers 400 "Cluster is already finished", then another run did it and the step succeeds', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    cluster.finishAnswer = () => ({ status: 400, body: { error: 'bad_request', reason: 'Cluster is already finished' } })
    const report = await run(cluster, {}, ['cluster'])
    assert.equal(report.ok, true)
    assert.match(step(report, 'cluster').message, /finished meanwhile by another bootstrap \(400 bad_request: Cluster is already finished\)/)
  })

  it('when a fourth node joins a finished cluster, then a rerun with OVERMIND_COUCHDB_NODES=4 copies the hash, uuid and secret to it alone', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    assert.equal((await run(cluster)).ok, true)
    const late = { name: 'couchdb@couchdb-3.couchdb', config: new Map([[`admins/${ADMIN.name}`, quickHash(ADMIN.password)]]), up: true }
    cluster.nodes.push(late)
    const report = await run(cluster, { nodes: 4 })
    assert.equal(report.ok, true)
    assert.deepEqual(step(report, 'cluster').nodes, {
      'couchdb@couchdb-0.couchdb': [], 'couchdb@couchdb-1.couchdb': [], 'couchdb@couchdb-2.couchdb': [], 'couchdb@couchdb-3.couchdb': ['admin hash', 'uuid', 'secret']
    })
    for (const values of shared(cluster)) assert.equal(values.size, 1)
  })
})

describe('one attempt per credential check (CouchDB 3.4 lockout)', () => {
  it('when the admin password is wrong, then one authentication fails, the run stops and says the credentials were rejected', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    const report = await run(cluster, { password: 'not-the-password' })
    assert.equal(report.ok, false)
    assert.equal(cluster.authFailures, 1)
    assert.match(step(report, 'admin').message, /rejected the credentials of COUCHDB_USERNAME "admin" \(401 unauthorized: Name or password is incorrect\.\)/)
    assert.equal(report.steps.some((s) => s.message.includes('not-the-password')), false)
  })

  it('when a later step is the first to send a wrong password (second init container), then it too stops after one failure', async () => {
    const cluster = scriptedCluster({ nodes: 3, admin: ADMIN })
    const report = await run(cluster, { password: 'not-the-password' }, ['cluster', 'system-databases'])
    assert.equal(cluster.authFailures, 1)
    assert.match(step(report, 'cluster').message, /rejected the credentials of COUCHDB_USERNAME "admin"/)
  })

  it('when CouchDB has locked the admin out, then the reason says locked and for how long, and no password is checked', async () => {
    const cluster = scriptedCluster({ nodes: 1, admin: ADMIN })
    for (let i = 0; i < 5; i++) await cluster.client.request('GET', '/_session', { auth: { name: ADMIN.name, password: 'wrong' } })
    cluster.authFailures = 0
    const report = await run(cluster, { nodes: 1 })
    assert.equal(cluster.authFailures, 0)
    assert.match(step(report, 'admin').message, /has locked COUCHDB_USERNAME "admin" out of this address .*403 forbidden: Account is temporarily locked.*max_lifetime \(5 min by default\)/)
  })
})
