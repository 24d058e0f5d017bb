// `overmind bootstrap` as an init container runs it: a child process, judged by its exit code
// and by what it prints (never a password).
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { startCouchDouble } from '../support/couch-double/index.js'
import { runOvermind } from '../support/overmind-process.js'
import { ADMIN, ADMIN_PASSWORD, APP_PASSWORD, bootstrapEnv } from './helpers.js'

describe('overmind bootstrap as a process', () => {
  const cleanups: Array<() => Promise<void>> = []
  after(async () => { for (const cleanup of cleanups) await cleanup() })

  const real = process.env.COUCHDB_TEST_URL !== undefined && process.env.COUCHDB_TEST_URL !== ''
  it('when the passwords come from *_FILE, then a fresh 2.x is set up (exit 0), and a wrong password then exits 1; no password is ever printed', {
    skip: real ? 'needs a fresh CouchDB 2.x in admin party (the double); COUCHDB_TEST_URL names a real server' : false
  }, async () => {
    const double = await startCouchDouble({ version: '2.3.1', admins: {}, systemDatabases: false })
    cleanups.push(async () => await double.close())
    const dir = await mkdtemp(join(tmpdir(), 'overmind-bootstrap-'))
    cleanups.push(async () => await rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, 'admin'), ADMIN_PASSWORD + '\n')
    await writeFile(join(dir, 'app'), APP_PASSWORD + '\n')
    const { COUCHDB_PASSWORD: _unused, ...env } = bootstrapEnv(double.url, {
      COUCHDB_PASSWORD_FILE: join(dir, 'admin'),
      COUCHDB_APP_USERNAME: 'overmind',
      COUCHDB_APP_PASSWORD_FILE: join(dir, 'app')
    })

    const done = runOvermind(['bootstrap'], env)
    assert.equal(await done.exited, 0, done.output())
    assert.match(done.output(), /^admin\s+created\s/m)
    assert.match(done.output(), /bootstrap done/)

    await writeFile(join(dir, 'admin'), 'not-' + ADMIN_PASSWORD)
    const refused = runOvermind(['bootstrap', 'wait', 'admin'], env)
    assert.equal(await refused.exited, 1)
    assert.match(refused.output(), /rejected the credentials of COUCHDB_USERNAME "admin"/)

    for (const output of [done.output(), refused.output()]) {
      assert.equal(output.includes(ADMIN_PASSWORD), false)
      assert.equal(output.includes(APP_PASSWORD), false)
    }
  })

  it('when the usage or the configuration is bad, then it exits 2 before talking to CouchDB', async () => {
    const unknownStep = runOvermind(['bootstrap', 'databse'], bootstrapEnv('http://127.0.0.1:9'))
    const noCouch = runOvermind(['bootstrap'], { COUCHDB_USERNAME: ADMIN, COUCHDB_PASSWORD: ADMIN_PASSWORD })
    assert.equal(await unknownStep.exited, 2)
    assert.match(unknownStep.output(), /unknown step "databse"/)
    assert.equal(await noCouch.exited, 2)
    assert.match(noCouch.output(), /bootstrap needs CouchDB/)
    assert.equal(noCouch.output().includes(ADMIN_PASSWORD), false)
  })

  it('when asked for --help, then it exits 0 and documents the steps and exit codes', async () => {
    const help = runOvermind(['bootstrap', '--help'])
    assert.equal(await help.exited, 0)
    assert.match(help.output(), /exit codes: 0 done/)
    assert.match(help.output(), /^ {2}design-docs /m)
  })
})
