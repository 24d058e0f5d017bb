// Conflicted documents, as racing bootstraps on a real three-node CouchDB 3.4.3 left them: each
// copy of a shard accepted the first create it saw, the other writes were answered 202 and stayed,
// and internal replication joined them (fabric_doc_update:force_reply). A conflicted `_users`
// document then authenticates nobody. Planted here with `new_edits: false`; runs on the double
// and, unchanged, on a real CouchDB with COUCHDB_TEST_URL.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { createCouchClient, type CouchClient } from '../../src/bootstrap/couch-client.js'
import { runSteps } from '../../src/bootstrap/runner.js'
import type { StepName } from '../../src/bootstrap/steps.js'
import type { BootstrapReport, BootstrapSettings } from '../../src/bootstrap/types.js'
import type { DesignDocument } from '../../src/store/design-docs.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { deleteEveryLeaf, hashedUser, leavesOf, LOSES, plantLeaf, userPath, WINS } from './conflicting-revisions.js'
import { appSetup, couchRequest, runCli, statuses, type AppSetup } from './helpers.js'

// The service deploys no design document any more (migration 002 removed its only view); the
// steps are given the one earlier versions deployed, whose conflicts are what racing runs left.
const WANTED: DesignDocument = {
  _id: '_design/overmind',
  language: 'javascript',
  views: { zerglings_by_facing: { map: 'function (doc) { if (doc.location && doc.facing && doc._id.indexOf(\'_design/\') !== 0) { emit(doc.facing, 1); } }', reduce: '_count' } }
}
const OLD_DESIGN = { _id: WANTED._id, language: 'javascript', views: { zerglings_by_facing: { map: 'function (doc) { emit(doc.facing, 1); }' } } }
const DESIGN = '/_design/overmind'

describe('conflicted documents left by racing bootstraps (double, or COUCHDB_TEST_URL)', () => {
  let couch: TestCouch
  let admin: { name: string, password: string }
  const users: string[] = []
  before(async () => {
    couch = await startTestCouch({ version: '3.4.3' })
    admin = { name: couch.username, password: couch.password }
  })
  after(async () => {
    for (const user of users) await deleteEveryLeaf(couch.url, admin, userPath(user))
    await couch.close()
  })

  function setup (): AppSetup & { settings: BootstrapSettings } {
    const made = appSetup(couch, 'conflicts', users)
    const { database, app } = made
    return { ...made, settings: { url: couch.url, username: admin.name, password: admin.password, database, appUsername: app.name, appPassword: app.password, nodes: 1, waitTimeoutMs: 5000, requestTimeoutMs: 5000 } }
  }

  /** The steps (default all but migrate) with WANTED as the design documents. */
  async function runWanted (settings: BootstrapSettings, { steps, dryRun = false }: { steps?: StepName[], dryRun?: boolean } = {}): Promise<{ code: number, report: BootstrapReport, stdout: string, stderr: string }> {
    const all: StepName[] = ['wait', 'admin', 'cluster', 'system-databases', 'database', 'app-user', 'design-docs']
    const report = await runSteps(settings, { steps: steps ?? all, dryRun, designDocuments: [WANTED] })
    return { code: report.ok ? 0 : 1, report, stdout: JSON.stringify(report), stderr: '' }
  }

  const logIn = async (app: { name: string, password: string }): Promise<{ status: number, body: any }> =>
    await couchRequest(couch.url, 'POST', '/_session', undefined, app)

  describe('when a race left the app user with two revisions and the design document with an old one winning', () => {
    let settings: BootstrapSettings
    let database: string
    let app: { name: string, password: string }
    before(async () => {
      ({ settings, database, app } = setup())
      assert.equal((await runWanted(settings)).code, 0)
      // The other run's user: same password, its own salt; the other run's design doc: old content, winning.
      await plantLeaf(couch.url, admin, '_users', hashedUser(app.name, app.password), WINS)
      await plantLeaf(couch.url, admin, database, OLD_DESIGN, WINS)
      assert.equal((await logIn(app)).body.reason, 'User document conflicts must be resolved before the document is used for authentication purposes.')
    })

    it('then a dry run reports both as to be updated, saying the conflicting revisions would be removed, and writes nothing', async () => {
      couch.double?.resetCounters()
      const run = await runWanted(settings, { dryRun: true })
      assert.equal(run.code, 0, run.stdout + run.stderr)
      const step = (name: string) => run.report.steps.find((candidate) => candidate.name === name)!
      assert.equal(step('app-user').status, 'updated')
      assert.match(step('app-user').message, new RegExp(`^would remove 1 conflicting revision of user "${app.name}" \\(CouchDB refuses a conflicted user\\), keeping one with the configured password\\.$`))
      assert.equal(step('design-docs').status, 'updated')
      assert.equal(step('design-docs').message, 'would remove 1 conflicting revision of _design/overmind and write _design/overmind.')
      if (couch.double !== undefined) assert.equal(couch.double.writes, 0)
      assert.equal((await leavesOf(couch.url, admin, userPath(app.name))).conflicts.length, 1)
    })

    it('then a run removes them: no conflicts are left, the user logs in, and the design document has the wanted content', async () => {
      const run = await runWanted(settings)
      assert.equal(run.code, 0, run.stdout + run.stderr)
      const step = (name: string) => run.report.steps.find((candidate) => candidate.name === name)!
      assert.equal(step('app-user').status, 'updated')
      assert.match(step('app-user').message, new RegExp(`^user "${app.name}" exists, removing 1 conflicting revision left by racing writes \\(kept one with the configured password\\), and it is the only member of ${database}\\.$`))
      assert.equal(step('design-docs').status, 'updated')
      assert.equal(step('design-docs').message, 'removed 1 conflicting revision of _design/overmind left by racing writes.')
      const user = await leavesOf(couch.url, admin, userPath(app.name))
      assert.deepEqual(user.conflicts, [])
      const design = await leavesOf(couch.url, admin, `/${database}${DESIGN}`)
      assert.deepEqual(design.conflicts, [])
      assert.deepEqual(design.doc.views, WANTED.views, 'the leaf with the wanted content was kept, though it was not the winner')
      const session = await logIn(app)
      assert.deepEqual([session.status, session.body.name], [200, app.name])
    })

    it('then a rerun finds everything in place: unchanged, and no write', async () => {
      couch.double?.resetCounters()
      const run = await runWanted(settings)
      assert.equal(run.code, 0, run.stderr)
      assert.deepEqual(new Set(Object.values(statuses(run.report))), new Set(['unchanged', 'skipped']))
      if (couch.double !== undefined) assert.equal(couch.double.writes, 0)
    })
  })

  it('when no conflicting revision holds the configured password or the wanted design, then the winner is kept and rewritten', async () => {
    const { settings, database, app } = setup()
    assert.equal((await runWanted(settings, { steps: ['database'] })).code, 0)
    // Both racing runs had an older Secret and an older version, so no leaf is right.
    const old = 'old-' + randomBytes(6).toString('hex')
    await plantLeaf(couch.url, admin, '_users', hashedUser(app.name, old), LOSES)
    await plantLeaf(couch.url, admin, '_users', hashedUser(app.name, old), WINS)
    await plantLeaf(couch.url, admin, database, OLD_DESIGN, LOSES)
    await plantLeaf(couch.url, admin, database, { ...OLD_DESIGN, views: {} }, WINS)
    const run = await runWanted(settings, { steps: ['app-user', 'design-docs'] })
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.report.steps[0]!.message, new RegExp(`^reset the password of "${app.name}", removing 1 conflicting revision left by racing writes`))
    assert.equal(run.report.steps[1]!.message, 'wrote 1 design document(s): _design/overmind; removed 1 conflicting revision of _design/overmind left by racing writes.')
    const user = await leavesOf(couch.url, admin, userPath(app.name))
    assert.deepEqual([user.conflicts, user.rev.startsWith('2-')], [[], true], 'the winner got the new password')
    const design = await leavesOf(couch.url, admin, `/${database}${DESIGN}`)
    assert.deepEqual([design.conflicts, design.doc.views], [[], WANTED.views])
    assert.equal((await logIn(app)).status, 200)
  })

  /** Forwards to the server; `intercept` may act on a request before it goes (and change its answer). */
  function wrap (intercept: (method: string, path: string) => Promise<((status: number) => number) | undefined>): CouchClient & { paths: string[] } {
    const real = createCouchClient(couch.url, 5000)
    const paths: string[] = []
    return {
      url: real.url,
      paths,
      async request (method, path, options) {
        paths.push(`${method} ${path}`)
        const change = await intercept(method, path)
        const response = await real.request(method, path, options)
        return change === undefined ? response : { ...response, status: change(response.status) }
      }
    }
  }

  const STEPS: StepName[] = ['database', 'app-user']

  it('when this run\'s create is answered 202 and another run\'s revision holds the other copies, then it reads every copy and removes the conflict before it exits', async () => {
    const { settings, app } = setup()
    // As measured on three real nodes: after a 202 the copies disagree, and a plain read shows no
    // conflict until a read from every copy (r=3) makes CouchDB repair the document.
    let planted = false
    const plant = async (): Promise<void> => {
      if (planted) return
      planted = true
      await plantLeaf(couch.url, admin, '_users', hashedUser(app.name, app.password), WINS)
    }
    const client = wrap(async (method, path) => {
      if (method === 'PUT' && path === userPath(app.name)) return (status) => status === 201 ? 202 : status
      if (method === 'GET' && path.startsWith(`${userPath(app.name)}?r=`)) await plant()
      return undefined
    })
    const report = await runSteps(settings, { steps: STEPS, client })
    assert.equal(report.ok, true, JSON.stringify(report))
    assert.match(report.steps[1]!.message, new RegExp(`^created user "${app.name}", removing 1 conflicting revision left by racing writes`))
    await plant() // internal replication would bring it now, had the run not asked every copy
    assert.deepEqual((await leavesOf(couch.url, admin, userPath(app.name))).conflicts, [])
    assert.equal((await logIn(app)).status, 200)
  })

  it('when the user becomes conflicted after this run wrote it, then the login check settles it and tries again, counting no failed authentication', async () => {
    const { settings, app } = setup()
    let planted = false
    const client = wrap(async (method, path) => {
      if (!planted && path === '/_session' && method === 'GET' && client.paths.some((seen) => seen.startsWith(`PUT ${userPath(app.name)}`))) {
        planted = true
        await plantLeaf(couch.url, admin, '_users', hashedUser(app.name, app.password), LOSES)
      }
      return undefined
    })
    couch.double?.resetCounters()
    const report = await runSteps(settings, { steps: STEPS, client })
    assert.equal(report.ok, true, JSON.stringify(report))
    assert.equal(planted, true)
    assert.match(report.steps[1]!.message, new RegExp(`^created user "${app.name}", removing 1 conflicting revision left by racing writes`))
    assert.deepEqual((await leavesOf(couch.url, admin, userPath(app.name))).conflicts, [])
    if (couch.double !== undefined) assert.equal(couch.double.authFailures, 0)
  })

  it('when the _users document of COUCHDB_USERNAME is conflicted, then admin fails saying so, not that the password is wrong', async () => {
    const { env } = setup()
    const user = { name: `conflicted-${randomBytes(4).toString('hex')}`, password: 'pw-' + randomBytes(8).toString('hex') }
    users.push(user.name)
    await plantLeaf(couch.url, admin, '_users', hashedUser(user.name, user.password), LOSES)
    await plantLeaf(couch.url, admin, '_users', hashedUser(user.name, user.password), WINS)
    const run = await runCli(['wait', 'admin'], { ...env, COUCHDB_USERNAME: user.name, COUCHDB_PASSWORD: user.password })
    assert.equal(run.code, 1)
    assert.match(run.stderr, new RegExp(`step admin failed: CouchDB at \\S+ refuses COUCHDB_USERNAME "${user.name}" because its _users document has conflicting revisions \\(401 unauthorized: User document conflicts must be resolved`))
    assert.match(run.stderr, new RegExp(`GET /_users/org\\.couchdb\\.user:${user.name}\\?conflicts=true`))
    assert.doesNotMatch(run.stderr, /password is wrong/)
    assert.equal(run.stderr.includes(user.password), false)
  })
})
