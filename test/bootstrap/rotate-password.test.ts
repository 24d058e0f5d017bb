// `overmind bootstrap rotate-password` on a CouchDB 3.x with an admin (the double, or a real one
// with COUCHDB_TEST_URL): it sets the app user's password from the Secret, idempotently and
// without trying a password CouchDB could refuse, and says clearly what it cannot do.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { appSetup, couchRequest, runCli, runJson, statuses, type AppSetup } from './helpers.js'

describe('bootstrap rotate-password', () => {
  let couch: TestCouch
  const users: string[] = []
  before(async () => { couch = await startTestCouch({ version: '3.4.3' }) })
  after(async () => {
    const admin = { name: couch.username, password: couch.password }
    for (const user of users) {
      const path = `/_users/${encodeURIComponent('org.couchdb.user:' + user)}`
      const doc = await couchRequest(couch.url, 'GET', path, admin)
      if (doc.status === 200) await couchRequest(couch.url, 'DELETE', `${path}?rev=${doc.body._rev as string}`, admin)
    }
    await couch.close()
  })

  const setup = (): AppSetup => appSetup(couch, 'rotate', users)
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
