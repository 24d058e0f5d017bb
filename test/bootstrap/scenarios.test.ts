// The scenarios, in every emulated CouchDB version, against the CouchDB-protocol double.
// Each test starts its own server (fresh state, its own counters) and closes it.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { startCouchDouble, type CouchDouble, type CouchDoubleOptions } from '../support/couch-double/index.js'
import { bootstrapSettings, runSteps } from '../../src/bootstrap/runner.js'
import { loadConfig } from '../../src/config.js'
import type { DesignDocument } from '../../src/store/design-docs.js'
import { ADMIN, ADMIN_PASSWORD, APP_PASSWORD, bootstrapEnv, couchRequest, runCli, runJson, statuses } from './helpers.js'

const VERSIONS = ['1.6.1', '2.3.1', '3.4.3'] as const
// These need fresh servers of given versions, stopped and started at will: the double only.
// (test/bootstrap/any-couch.test.ts covers what holds on a real CouchDB 3.x.)
const SKIP = process.env.COUCHDB_TEST_URL !== undefined && process.env.COUCHDB_TEST_URL !== ''
  ? 'needs fresh CouchDB servers of each version; COUCHDB_TEST_URL names one real, already set-up server'
  : false

const started: CouchDouble[] = []
after(async () => { await Promise.all(started.map(async (double) => await double.close())) })

async function fresh (version: typeof VERSIONS[number], options: CouchDoubleOptions = {}): Promise<CouchDouble> {
  // "Fresh" as each version ships: 1.x/2.x in admin party, 3.x with the admin its image creates;
  // 2.x/3.x without system databases (no single_node setup yet).
  const double = await startCouchDouble({
    version,
    admins: version === '3.4.3' ? { [ADMIN]: ADMIN_PASSWORD } : {},
    systemDatabases: version === '1.6.1',
    ...options
  })
  started.push(double)
  return double
}

const APP = { name: 'overmind', password: APP_PASSWORD }
const withApp = (url: string, extra: Record<string, string> = {}): Record<string, string> =>
  bootstrapEnv(url, { COUCHDB_APP_USERNAME: APP.name, COUCHDB_APP_PASSWORD: APP.password, ...extra })

for (const version of VERSIONS) {
  const adminParty = version !== '3.4.3'
  describe(`CouchDB ${version}`, { skip: SKIP }, () => {
    it(`when the server is fresh${adminParty ? ' (admin party)' : ' (admin required)'}, then every step sets it up and a second run writes nothing`, async () => {
      const double = await fresh(version)
      const first = await runJson([], withApp(double.url))
      assert.equal(first.code, 0, first.stderr)
      assert.deepEqual(statuses(first.report), {
        wait: 'unchanged',
        admin: adminParty ? 'created' : 'unchanged',
        'system-databases': version === '1.6.1' ? 'skipped' : 'created',
        database: 'created',
        'app-user': 'created',
        // None to deploy (migration 002 removed the only view there was).
        'design-docs': 'unchanged',
        // A new database: every migration is recorded as applied, having changed nothing.
        migrate: 'updated',
        cluster: 'skipped'
      })
      assert.equal(first.report.couchdbVersion, version)

      double.resetCounters()
      const second = await runJson([], withApp(double.url))
      assert.equal(second.code, 0, second.stderr)
      assert.deepEqual(new Set(Object.values(statuses(second.report))), new Set(['unchanged', 'skipped']))
      assert.equal(double.writes, 0)
    })

    if (adminParty) {
      it('when in admin party, then the admin is created and the party is over: anonymous requests lose admin rights', async () => {
        const double = await fresh(version)
        const run = await runCli(['wait', 'admin'], bootstrapEnv(double.url))
        assert.equal(run.code, 0, run.stderr)
        assert.equal((await couchRequest(double.url, 'PUT', '/anonymous_db')).status, 401)
        assert.equal((await couchRequest(double.url, 'GET', '/_session', { name: ADMIN, password: ADMIN_PASSWORD })).body.userCtx.roles.includes('_admin'), true)
      })
    }

    if (adminParty) {
      it('when the new admin is usable only 300 ms after it is set (async hashing), then admin waits for it and the next steps succeed', async () => {
        const double = await fresh(version, { adminActivationDelayMs: 300 })
        const run = await runJson(['admin', 'database'], bootstrapEnv(double.url))
        assert.equal(run.code, 0, run.stdout + run.stderr)
        assert.deepEqual(statuses(run.report), { admin: 'created', database: 'created' })
        assert.ok(run.report.steps[0]!.durationMs >= 250)
      })
    }

    it('when the password is wrong, then admin fails with a clear message, exit 1, and the password is never printed', async () => {
      const double = await fresh(version, { admins: { [ADMIN]: 'the-right-one' } })
      const run = await runCli([], bootstrapEnv(double.url))
      assert.equal(run.code, 1)
      assert.match(run.stdout, /^admin\s+failed\s+CouchDB at \S+ rejected the credentials of COUCHDB_USERNAME "admin"/m)
      assert.match(run.stdout, /^database\s+skipped\s+not run: step admin failed\.$/m)
      assert.match(run.stderr, /step admin failed/)
      for (const output of [run.stdout, run.stderr]) {
        assert.equal(output.includes(ADMIN_PASSWORD), false)
        assert.equal(output.includes('the-right-one'), false)
      }
    })

    it('when CouchDB is down at start and comes up, then wait waits and the run succeeds', async () => {
      const double = await fresh(version)
      await double.stop()
      const upLater = setTimeout(() => { double.start().catch(() => {}) }, 400)
      try {
        const run = await runJson(['wait', 'admin', 'database'], bootstrapEnv(double.url))
        assert.equal(run.code, 0, run.stderr)
        assert.match(run.report.steps[0]!.message, /is up \(after [2-9]\d* attempts/)
        assert.match(run.stderr, /waiting for CouchDB at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/)
      } finally {
        clearTimeout(upLater)
      }
    })

    it('when CouchDB never comes up, then wait times out naming the URL and the last error', async () => {
      const double = await fresh(version)
      await double.stop()
      const started = Date.now()
      const run = await runCli(['--timeout', '600ms'], bootstrapEnv(double.url))
      assert.equal(run.code, 1)
      assert.ok(Date.now() - started < 3000)
      assert.match(run.stderr, new RegExp(`step wait failed: CouchDB at ${double.url.replace(/\./g, '\\.')} was not up after 0\\.6 s \\(\\d+ attempts\\); last error: .*ECONNREFUSED`))
      assert.equal(run.stdout.includes(ADMIN_PASSWORD) || run.stderr.includes(ADMIN_PASSWORD), false)
    })

    it('when three copies start at once on a fresh server, then all exit 0 and leave one state that a fourth run finds complete', async () => {
      const double = await fresh(version, { latencyMs: 5 })
      const runs = await Promise.all([1, 2, 3].map(async () => await runJson([], withApp(double.url))))
      for (const run of runs) assert.equal(run.code, 0, run.stdout + run.stderr)
      assert.equal(runs.filter((run) => statuses(run.report).database === 'created').length, 1)
      double.resetCounters()
      const fourth = await runJson([], withApp(double.url))
      assert.equal(fourth.code, 0)
      assert.deepEqual(new Set(Object.values(statuses(fourth.report))), new Set(['unchanged', 'skipped']))
      assert.equal(double.writes, 0)
    })

    it('when dry-running on a fresh server, then it reports what would change and writes nothing', async () => {
      const double = await fresh(version)
      double.resetCounters()
      const run = await runJson(['--dry-run'], withApp(double.url))
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.report.dryRun, true)
      assert.equal(statuses(run.report).database, 'created')
      assert.match(run.report.steps.find((step) => step.name === 'database')!.message, /^would create database zerglings\.$/)
      assert.equal(statuses(run.report)['app-user'], 'created')
      assert.equal(double.writes, 0)
      const text = await runCli(['--dry-run', 'wait', 'admin', 'database'], withApp(double.url))
      assert.match(text.stdout, /^database\s+would be created\s+would create database zerglings\.$/m)
      assert.match(text.stdout, /dry run, nothing written/)
      assert.equal(double.writes, 0)
    })

    it('when run as the seed\'s two init containers (wait admin, then database), then both exit 0 and the database exists', async () => {
      const double = await fresh(version)
      const first = await runJson(['wait', 'admin'], bootstrapEnv(double.url))
      assert.deepEqual(first.report.steps.map((step) => step.name), ['wait', 'admin'])
      const second = await runJson(['database'], bootstrapEnv(double.url))
      assert.equal(first.code + second.code, 0, first.stderr + second.stderr)
      assert.deepEqual(statuses(second.report), { database: 'created' })
      assert.equal((await couchRequest(double.url, 'HEAD', '/zerglings', { name: ADMIN, password: ADMIN_PASSWORD })).status, 200)
    })

    it('when the app user is set up, then it reads and writes the database while an outsider and anonymous cannot', async () => {
      const double = await fresh(version)
      const run = await runCli([], withApp(double.url))
      assert.equal(run.code, 0, run.stderr)
      const admin = { name: ADMIN, password: ADMIN_PASSWORD }
      const outsider = { name: 'outsider', password: 'outsider-pw' }
      assert.equal((await couchRequest(double.url, 'PUT', '/_users/org.couchdb.user:outsider', admin, { name: 'outsider', type: 'user', roles: [], password: outsider.password })).status, 201)
      assert.equal((await couchRequest(double.url, 'PUT', '/zerglings/z1', APP, { facing: 'N', location: { x: 0, y: 0 } })).status, 201)
      assert.equal((await couchRequest(double.url, 'GET', '/zerglings/z1', APP)).body.facing, 'N')
      assert.equal((await couchRequest(double.url, 'GET', '/zerglings/z1', outsider)).status, 403)
      assert.equal((await couchRequest(double.url, 'PUT', '/zerglings/z2', outsider, {})).status, 403)
      assert.equal((await couchRequest(double.url, 'GET', '/zerglings/z1')).status, 401)
      // And the app user cannot administer: no design docs, no new databases.
      assert.equal((await couchRequest(double.url, 'PUT', '/zerglings/_design/x', APP, { views: {} })).status, 403)
      assert.equal([401, 403].includes((await couchRequest(double.url, 'PUT', '/another', APP)).status), true)
    })

    it('when the app password changes, then app-user resets it and reports updated', async () => {
      const double = await fresh(version)
      assert.equal((await runCli([], withApp(double.url))).code, 0)
      const run = await runJson(['app-user'], withApp(double.url, { COUCHDB_APP_PASSWORD: 'rotated-' + APP_PASSWORD }))
      assert.equal(run.code, 0, run.stderr)
      assert.deepEqual(statuses(run.report), { 'app-user': 'updated' })
      assert.equal((await couchRequest(double.url, 'GET', '/_session', { name: APP.name, password: 'rotated-' + APP_PASSWORD })).body.userCtx.name, APP.name)
      assert.equal(run.stdout.includes(APP_PASSWORD), false)
    })

    it('when no app user is configured, then app-user is skipped and says why', async () => {
      const double = await fresh(version)
      const run = await runJson([], bootstrapEnv(double.url))
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.report.steps.find((step) => step.name === 'app-user')!.message, /no COUCHDB_APP_USERNAME/)
      assert.equal(statuses(run.report)['app-user'], 'skipped')
    })

    it('when a design doc was changed by hand, then design-docs restores it (updated), its views built aside first, and leaves the rest alone', async () => {
      const double = await fresh(version)
      assert.equal((await runCli([], bootstrapEnv(double.url))).code, 0)
      const admin = { name: ADMIN, password: ADMIN_PASSWORD }
      const probe: DesignDocument = { _id: '_design/probe', language: 'javascript', views: { by_facing: { map: 'function (doc) { if (doc.facing) { emit(doc.facing, 1); } }' } } }
      const settings = bootstrapSettings(loadConfig(bootstrapEnv(double.url)))
      assert.equal((await runSteps(settings, { steps: ['design-docs'], designDocuments: [probe] })).ok, true)
      const stored = (await couchRequest(double.url, 'GET', '/zerglings/_design/probe', admin)).body
      assert.equal((await couchRequest(double.url, 'PUT', '/zerglings/_design/probe', admin, { ...stored, views: {} })).status, 201)
      double.resetCounters()
      const report = await runSteps(settings, { steps: ['design-docs'], designDocuments: [probe] })
      assert.deepEqual(statuses(report), { 'design-docs': 'updated' })
      // The copy under its temporary id, the document itself, and the copy's tombstone.
      assert.equal(double.writes, 3)
      assert.equal((await couchRequest(double.url, 'GET', '/zerglings/_design/probe--building', admin)).status, 404)
    })
  })
}

describe('cluster', { skip: SKIP }, () => {
  for (const version of ['2.3.1', '3.4.3'] as const) {
    it(`when CouchDB ${version} runs 3 nodes and OVERMIND_COUCHDB_NODES=3, then the setup is finished once, with one admin hash on every node`, async () => {
      const double = await fresh(version, { nodes: 3, systemDatabases: false })
      const env = bootstrapEnv(double.url, { OVERMIND_COUCHDB_NODES: '3' })
      const first = await runJson([], env)
      assert.equal(first.code, 0, first.stdout + first.stderr)
      assert.equal(statuses(first.report).cluster, 'updated')
      const admin = { name: ADMIN, password: ADMIN_PASSWORD }
      assert.equal((await couchRequest(double.url, 'GET', '/_cluster_setup', admin)).body.state, 'cluster_finished')
      const nodes: string[] = (await couchRequest(double.url, 'GET', '/_membership', admin)).body.all_nodes
      assert.equal(nodes.length, 3)
      const hashes = await Promise.all(nodes.map(async (node) => (await couchRequest(double.url, 'GET', `/_node/${encodeURIComponent(node)}/_config/admins/${ADMIN}`, admin)).body))
      assert.equal(new Set(hashes).size, 1)
      assert.match(hashes[0], /^-pbkdf2/)

      double.resetCounters()
      const second = await runJson([], env)
      assert.equal(statuses(second.report).cluster, 'unchanged')
      assert.equal(double.writes, 0)
    })
  }

  it('when more nodes are expected than join, then cluster fails after its timeout naming the nodes it saw', async () => {
    const double = await fresh('3.4.3')
    const run = await runJson(['cluster', '--timeout', '300ms'], bootstrapEnv(double.url, { OVERMIND_COUCHDB_NODES: '3' }))
    assert.equal(run.code, 1)
    assert.match(run.report.steps[0]!.message, /expected 3 nodes, saw 1: couchdb@127\.0\.0\.1/)
  })

  it('when CouchDB is 1.x and a cluster is expected, then cluster fails: 1.x has no clustering', async () => {
    const double = await fresh('1.6.1', { admins: { [ADMIN]: ADMIN_PASSWORD } })
    const run = await runJson(['cluster'], bootstrapEnv(double.url, { OVERMIND_COUCHDB_NODES: '3' }))
    assert.equal(run.code, 1)
    assert.match(run.report.steps[0]!.message, /has no clustering/)
  })
})
