// The scenarios that hold on any CouchDB 3.x that already has its admin: run against the double
// by default and against a real server when COUCHDB_TEST_URL is set (test/support/test-couch.ts).
// Each test uses its own database and app user, so it never disturbs the server's other data.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { appSetup, couchRequest, deleteUsers, runCli, runJson, statuses, type AppSetup, type CliRun } from './helpers.js'

describe('bootstrap on a CouchDB 3.x with an admin (double, or COUCHDB_TEST_URL)', () => {
  let couch: TestCouch
  const users: string[] = []
  before(async () => { couch = await startTestCouch({ version: '3.4.3' }) })
  after(async () => {
    await deleteUsers(couch, users)
    await couch.close()
  })

  const setup = (): AppSetup => appSetup(couch, 'bootstrap', users)

  function noSecrets (run: CliRun, ...secrets: string[]): void {
    for (const secret of secrets) assert.equal(run.stdout.includes(secret) || run.stderr.includes(secret), false)
  }

  it('when run twice, then the second run reports nothing but unchanged/skipped (and the double counts no write)', async () => {
    const { env, app } = setup()
    const first = await runJson([], env)
    assert.equal(first.code, 0, first.stdout + first.stderr)
    assert.equal(statuses(first.report).database, 'created')
    assert.equal(statuses(first.report)['app-user'], 'created')
    couch.double?.resetCounters()
    const second = await runJson([], env)
    assert.equal(second.code, 0, second.stderr)
    assert.deepEqual(new Set(Object.values(statuses(second.report))), new Set(['unchanged', 'skipped']))
    if (couch.double !== undefined) {
      assert.equal(couch.double.writes, 0)
      // The app password is checked against its _users document: only admin's two /_session calls.
      assert.equal(couch.double.requests.filter((request) => request.path === '/_session').length, 2)
    }
    noSecrets(first, couch.password, app.password)
  })

  it('when three copies run at once, then all exit 0, exactly one creates the database, and the state is complete', async () => {
    const { env } = setup()
    const runs = await Promise.all([1, 2, 3].map(async () => await runJson([], env)))
    for (const run of runs) assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.equal(runs.filter((run) => statuses(run.report).database === 'created').length, 1)
    const again = await runJson([], env)
    assert.deepEqual(new Set(Object.values(statuses(again.report))), new Set(['unchanged', 'skipped']))
  })

  it('when dry-running, then the database is reported as to be created and is still missing afterwards', async () => {
    const { env, database } = setup()
    const run = await runJson(['--dry-run'], env)
    assert.equal(run.code, 0, run.stderr)
    assert.equal(statuses(run.report).database, 'created')
    assert.equal((await couchRequest(couch.url, 'HEAD', '/' + database, { name: couch.username, password: couch.password })).status, 404)
  })

  /**
   * A `_users` user of this test's own: wrong passwords are tried under its name, never the shared
   * admin's, so that CouchDB 3.4's lockout (5 failures → 5 min) cannot lock the suite out.
   */
  async function ownUser (prefix: string): Promise<{ name: string, password: string }> {
    const user = { name: `${prefix}-${randomBytes(4).toString('hex')}`, password: 'pw-' + randomBytes(8).toString('hex') }
    users.push(user.name)
    const created = await couchRequest(couch.url, 'PUT', `/_users/${encodeURIComponent('org.couchdb.user:' + user.name)}`,
      { name: couch.username, password: couch.password }, { name: user.name, type: 'user', roles: [], password: user.password })
    assert.equal(created.status, 201)
    return user
  }

  it('when the password is wrong, then each run makes one failed authentication, exits 1 and says the credentials were rejected, never the password', async () => {
    const { env } = setup()
    const user = await ownUser('wrongpw')
    const wrong = 'wrong-' + randomBytes(6).toString('hex')
    for (const attempt of [1, 2]) {
      couch.double?.resetCounters()
      const run = await runCli(['wait', 'admin', 'database'], { ...env, COUCHDB_USERNAME: user.name, COUCHDB_PASSWORD: wrong })
      assert.equal(run.code, 1, `run ${attempt}`)
      assert.match(run.stderr, new RegExp(`step admin failed: .*rejected the credentials of COUCHDB_USERNAME "${user.name}"`))
      if (couch.double !== undefined) assert.equal(couch.double.authFailures, 1, `run ${attempt} tried the password once`)
      noSecrets(run, wrong, user.password, couch.password)
    }
  })

  it('when CouchDB has locked the user out of this address, then it exits 1 saying so and for how long, even with the right password', async () => {
    const { env } = setup()
    const user = await ownUser('locked')
    // Five failed authentications from this address lock the user out (CouchDB 3.4 defaults).
    for (let i = 0; i < 5; i++) await couchRequest(couch.url, 'GET', '/_session', { name: user.name, password: 'wrong' })
    const run = await runCli(['wait', 'admin', 'database'], { ...env, COUCHDB_USERNAME: user.name, COUCHDB_PASSWORD: user.password })
    assert.equal(run.code, 1)
    assert.match(run.stderr, new RegExp(`step admin failed: .*has locked COUCHDB_USERNAME "${user.name}" out of this address.*\\[chttpd_auth_lockout\\] max_lifetime \\(5 min by default\\)`))
    noSecrets(run, user.password, couch.password)
  })

  it('when run as the seed\'s two init containers, then the app user can use the database and an anonymous client cannot', async () => {
    const { env, database, app } = setup()
    assert.equal((await runCli(['wait', 'admin'], env)).code, 0)
    const second = await runCli(['database', 'app-user', 'design-docs', 'migrate'], env)
    assert.equal(second.code, 0, second.stderr)
    assert.equal((await couchRequest(couch.url, 'PUT', `/${database}/z1`, app, { facing: 'N', location: { x: 0, y: 0 } })).status, 201)
    assert.equal((await couchRequest(couch.url, 'GET', `/${database}/z1`, app)).status, 200)
    assert.equal((await couchRequest(couch.url, 'GET', `/${database}/z1`)).status, 401)
    // The service has no design document any more (migration 002), and the history is there.
    assert.equal((await couchRequest(couch.url, 'GET', `/${database}/_design/overmind`, app)).status, 404)
    assert.equal((await couchRequest(couch.url, 'GET', `/${database}/overmind:migrations`, app)).status, 200)
  })

  it('when nothing listens at the URL, then wait fails after its timeout naming the URL', async () => {
    const { env } = setup()
    const run = await runCli(['wait', '--timeout', '300ms'], { ...env, COUCHDB_URL: 'http://127.0.0.1:9' })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /CouchDB at http:\/\/127\.0\.0\.1:9 was not up after 0\.3 s/)
  })

  // `rotate-password` (docs/kubernetes.md, "Rotating the app user's password"): the Secret's new
  // password, set idempotently and without a login CouchDB could refuse.
  describe('rotate-password', () => {
    const session = async (name: string, password: string): Promise<number> =>
      (await couchRequest(couch.url, 'POST', '/_session', undefined, { name, password })).status

    it('when the Secret holds a new password, then the app user gets it, the old one is refused, and a rerun writes nothing', async () => {
      const { env, app } = setup()
      assert.equal((await runJson(['database', 'app-user'], env)).code, 0)
      const next = 'app-' + randomBytes(8).toString('hex')
      const dry = await runJson(['--dry-run', 'rotate-password'], { ...env, COUCHDB_APP_PASSWORD: next })
      assert.equal(statuses(dry.report)['rotate-password'], 'updated')
      assert.equal(await session(app.name, app.password), 200, 'a dry run changes nothing')
      const run = await runCli(['rotate-password'], { ...env, COUCHDB_APP_PASSWORD: next })
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /rotate-password\s+updated/)
      assert.equal(run.stdout.includes(next) || run.stderr.includes(next), false, 'the password is never printed')
      assert.equal(await session(app.name, next), 200)
      assert.equal(await session(app.name, app.password), 401)
      couch.double?.resetCounters()
      const again = await runJson(['rotate-password'], { ...env, COUCHDB_APP_PASSWORD: next })
      assert.equal(statuses(again.report)['rotate-password'], 'unchanged')
      if (couch.double !== undefined) {
        assert.equal(couch.double.writes, 0)
        assert.equal(couch.double.authFailures, 0, 'decided from the stored hash, not by a login')
      }
    })

    it('when no step is named, then rotate-password is not among the steps run', async () => {
      const { env } = setup()
      const run = await runJson([], env)
      assert.equal(run.code, 0, run.stderr)
      assert.equal(statuses(run.report)['rotate-password'], undefined)
    })

    it('when the app user does not exist or none is configured, then it fails saying what to run or set, and writes nothing', async () => {
      const { env } = setup()
      couch.double?.resetCounters()
      const missing = await runJson(['rotate-password'], env)
      assert.equal(missing.code, 1)
      assert.match(missing.report.steps[0]?.message ?? '', /does not exist.*overmind bootstrap app-user/)
      const { COUCHDB_APP_USERNAME: _name, COUCHDB_APP_PASSWORD: _password, ...adminOnly } = env
      const unconfigured = await runJson(['rotate-password'], adminOnly)
      assert.equal(unconfigured.code, 1)
      assert.match(unconfigured.report.steps[0]?.message ?? '', /set COUCHDB_APP_USERNAME and COUCHDB_APP_PASSWORD/)
      if (couch.double !== undefined) assert.equal(couch.double.writes, 0)
    })
  })
})
