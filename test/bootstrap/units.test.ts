// The parts of bootstrap that need no CouchDB: backoff, argument parsing, settings, report
// formatting, comparisons that decide "unchanged", password hashes, step order.
import assert from 'node:assert/strict'
import { createHash, pbkdf2Sync } from 'node:crypto'
import { describe, it } from 'node:test'
import { backoffDelay, poll } from '../../src/bootstrap/backoff.js'
import { refusalOf } from '../../src/bootstrap/credential-guard.js'
import { compareRevisions } from '../../src/bootstrap/document-conflicts.js'
import { adminHashMatches, hashAdminPassword, userDocumentMatches } from '../../src/bootstrap/password-hash.js'
import { formatReport, formatStep } from '../../src/bootstrap/report.js'
import { bootstrapSettings } from '../../src/bootstrap/runner.js'
import { desiredSecurity, sameSecurity } from '../../src/bootstrap/steps/app-user.js'
import { sameDesignDocument } from '../../src/bootstrap/steps/design-docs.js'
import { DEFAULT_STEP_NAMES, STEP_NAMES } from '../../src/bootstrap/steps.js'
import type { BootstrapReport } from '../../src/bootstrap/types.js'
import { parseBootstrapArgs, parseDuration } from '../../src/cli/bootstrap.js'
import { ConfigError, loadConfig } from '../../src/config.js'
import { DESIGN_DOCUMENTS, type DesignDocument } from '../../src/store/design-docs.js'

describe('backoff', () => {
  it('when retries go on, then the delay doubles from the base up to the cap, each between half and all of its ceiling', () => {
    const policy = { baseMs: 100, maxMs: 1000 }
    assert.deepEqual([1, 2, 3, 4, 5, 9].map((retry) => backoffDelay(policy, retry, () => 0)), [50, 100, 200, 400, 500, 500])
    assert.deepEqual([1, 2, 3, 4, 5].map((retry) => backoffDelay(policy, retry, () => 0.999)), [99, 199, 399, 799, 999])
  })

  it('when the deadline comes first, then poll gives up without sleeping past it', async () => {
    let clock = 0
    const slept: number[] = []
    const result = await poll(async () => undefined, {
      timeoutMs: 1000,
      policy: { baseMs: 300, maxMs: 10_000 },
      random: () => 0.5,
      now: () => clock,
      sleep: async (ms) => { slept.push(ms); clock += ms }
    })
    assert.equal(result.value, undefined)
    assert.deepEqual(slept, [225, 450, 325])
    assert.equal(result.attempts, 4)
  })

  it('when an attempt succeeds, then poll returns its value and the attempt count', async () => {
    let calls = 0
    const result = await poll(async () => (++calls === 3 ? 'up' : undefined), { timeoutMs: 10_000, policy: { baseMs: 1, maxMs: 2 } })
    assert.deepEqual(result, { value: 'up', attempts: 3 })
  })
})

describe('arguments', () => {
  it('when steps and flags are given, then they are parsed', () => {
    assert.deepEqual(parseBootstrapArgs(['wait', 'admin', '--timeout', '2m', '--json', '--dry-run']),
      { steps: ['wait', 'admin'], timeoutMs: 120_000, leaseMs: undefined, dryRun: true, status: false, json: true, help: false })
    assert.deepEqual(parseBootstrapArgs([]), { steps: [], timeoutMs: undefined, leaseMs: undefined, dryRun: false, status: false, json: false, help: false })
    assert.deepEqual(parseBootstrapArgs(['migrate', '--status', '--lease', '5s']), { steps: ['migrate'], timeoutMs: undefined, leaseMs: 5000, dryRun: false, status: true, json: false, help: false })
  })

  it('when a step, a flag or a duration is unknown, then it is a ConfigError (exit 2)', () => {
    assert.throws(() => parseBootstrapArgs(['databse']), (error: unknown) => error instanceof ConfigError && /unknown step "databse"/.test(error.message))
    assert.throws(() => parseBootstrapArgs(['--force']), ConfigError)
    assert.throws(() => parseBootstrapArgs(['--timeout', 'soon']), ConfigError)
    assert.throws(() => parseBootstrapArgs(['--lease', '10ms']), ConfigError)
    assert.throws(() => parseBootstrapArgs(['database', '--status']), (error: unknown) => error instanceof ConfigError && /--status shows the migrations/.test(error.message))
  })

  it('durations read as seconds by default, or with ms, s, m', () => {
    assert.deepEqual(['90', '90s', '1500ms', '2m', '0.5s', 'x', '-1'].map(parseDuration), [90_000, 90_000, 1500, 120_000, 500, undefined, undefined])
  })
})

describe('settings', () => {
  const base = { COUCHDB_URL: 'http://couch:5984', COUCHDB_USERNAME: 'admin', COUCHDB_PASSWORD: 'pw' }

  it('when CouchDB and the admin are configured, then the settings carry them', () => {
    const settings = bootstrapSettings(loadConfig({ ...base, COUCHDB_APP_USERNAME: 'app', COUCHDB_APP_PASSWORD: 'apw', OVERMIND_COUCHDB_NODES: '3' }), 1234)
    assert.equal(settings.url, 'http://couch:5984')
    assert.equal(settings.appUsername, 'app')
    assert.equal(settings.nodes, 3)
    assert.equal(settings.waitTimeoutMs, 1234)
  })

  for (const [when, env] of [
    ['no CouchDB is configured', { COUCHDB_USERNAME: 'admin', COUCHDB_PASSWORD: 'pw' }],
    ['no admin password is configured', { COUCHDB_URL: 'http://couch:5984', COUCHDB_USERNAME: 'admin' }],
    ['an app user has no password', { ...base, COUCHDB_APP_USERNAME: 'app' }],
    ['an app password has no user', { ...base, COUCHDB_APP_PASSWORD: 'apw' }],
    ['the app user is the admin', { ...base, COUCHDB_APP_USERNAME: 'admin', COUCHDB_APP_PASSWORD: 'apw' }]
  ] as const) {
    it(`when ${when}, then it is a ConfigError`, () => {
      assert.throws(() => bootstrapSettings(loadConfig(env)), ConfigError)
    })
  }
})

describe('steps', () => {
  it('are the issue\'s seven and migrate after design-docs, in that order', () => {
    assert.deepEqual([...STEP_NAMES], ['wait', 'admin', 'cluster', 'system-databases', 'database', 'app-user', 'rotate-password', 'design-docs', 'migrate'])
  })

  it('when no step is named, then all run but rotate-password, which an operator names', () => {
    assert.deepEqual([...DEFAULT_STEP_NAMES], STEP_NAMES.filter((name) => name !== 'rotate-password'))
  })
})

describe('comparisons', () => {
  const wanted: DesignDocument = { _id: '_design/probe', language: 'javascript', views: { by_facing: { map: 'function (doc) { emit(doc.facing, 1); }', reduce: '_count' } } }

  it('when a stored design doc differs only by _rev and key order, then it is the same', () => {
    const stored = { views: wanted.views, _rev: '3-abc', language: 'javascript', _id: wanted._id }
    assert.equal(sameDesignDocument(stored, wanted), true)
  })

  it('when a view changed or the doc is missing, then it is not the same', () => {
    const view = Object.keys(wanted.views)[0]!
    assert.equal(sameDesignDocument({ ...wanted, _rev: '1-a', views: { [view]: { map: 'function (doc) {}' } } }, wanted), false)
    assert.equal(sameDesignDocument(undefined, wanted), false)
  })

  it('every map function is JavaScript that compiles', () => {
    for (const doc of DESIGN_DOCUMENTS) {
      for (const view of Object.values(doc.views)) {
        // eslint-disable-next-line no-new-func
        assert.doesNotThrow(() => new Function(`return (${view.map})`))
      }
    }
  })

  it('when _security lists the same names and roles in another order, then it is the same; otherwise not', () => {
    const wantedSecurity = desiredSecurity('app')
    assert.equal(sameSecurity({ members: { roles: ['_admin'], names: ['app'] }, admins: { roles: ['_admin'] } }, wantedSecurity), true)
    assert.equal(sameSecurity({ members: { roles: ['_admin'] }, admins: { roles: ['_admin'] } }, wantedSecurity), false)
    assert.equal(sameSecurity({ members: { names: ['app', 'other'], roles: ['_admin'] }, admins: { roles: ['_admin'] } }, wantedSecurity), false)
    assert.equal(sameSecurity({}, wantedSecurity), false)
  })
})

describe('password hashes', () => {
  for (const version of [{ major: 2, minor: 3 }, { major: 3, minor: 4 }]) {
    it(`when hashed for CouchDB ${version.major}.${version.minor}, then the hash verifies the password and no other`, async () => {
      const hash = await hashAdminPassword('s3cret', version)
      assert.match(hash, version.minor === 4 ? /^-pbkdf2:sha256-[0-9a-f]{64},[0-9a-f]{32},600000$/ : /^-pbkdf2-[0-9a-f]{40},[0-9a-f]{32},10000$/)
      assert.equal(hash.includes('s3cret'), false)
      assert.equal(await adminHashMatches(hash, 's3cret'), true)
      assert.equal(await adminHashMatches(hash, 's3cret!'), false)
    })
  }

  it('when the value is not a hash (CouchDB has not hashed it yet), then it cannot be checked', async () => {
    assert.equal(await adminHashMatches('s3cret', 's3cret'), undefined)
  })
})

describe('user documents', () => {
  // As CouchDB 3.4 stores them (auth-security.json step 16), with few rounds to stay fast.
  const doc = (password: string, prf?: string): Record<string, unknown> => ({
    _id: 'org.couchdb.user:app',
    name: 'app',
    password_scheme: 'pbkdf2',
    ...(prf === undefined ? {} : { pbkdf2_prf: prf }),
    salt: '4f2a3c',
    iterations: 7,
    derived_key: pbkdf2Sync(password, '4f2a3c', 7, prf === 'sha256' ? 32 : 20, prf === 'sha256' ? 'sha256' : 'sha1').toString('hex')
  })

  it('when a pbkdf2 document (sha256 or CouchDB 2.x\'s default sha1) is checked, then its password matches and no other', async () => {
    for (const prf of ['sha256', undefined]) {
      assert.equal(await userDocumentMatches(doc('s3cret', prf), 's3cret'), true)
      assert.equal(await userDocumentMatches(doc('s3cret', prf), 's3cret!'), false)
    }
  })

  it('when a 1.x document with password_sha is checked, then its password matches and no other', async () => {
    const legacy = { salt: 'abc', password_sha: createHash('sha1').update('s3cret' + 'abc').digest('hex') }
    assert.equal(await userDocumentMatches(legacy, 's3cret'), true)
    assert.equal(await userDocumentMatches(legacy, 'other'), false)
  })

  it('when the document holds no hash this code knows, then it cannot be checked (undefined)', async () => {
    assert.equal(await userDocumentMatches({ name: 'app', password: 's3cret' }, 's3cret'), undefined)
    assert.equal(await userDocumentMatches({ ...doc('s3cret', 'sha256'), pbkdf2_prf: 'md5' }, 's3cret'), undefined)
  })
})

describe('refused credentials', () => {
  const answer = (status: number, error: string, reason: string) => ({ status, body: { error, reason } })

  it('when CouchDB says "Name or password is incorrect.", then the credentials were rejected', () => {
    assert.equal(refusalOf(answer(401, 'unauthorized', 'Name or password is incorrect.')), 'rejected')
  })

  it('when CouchDB 3.4 answers its lockout 403, then the user is locked out', () => {
    assert.equal(refusalOf(answer(403, 'forbidden', 'Account is temporarily locked due to multiple authentication failures')), 'locked')
  })

  it('when CouchDB refuses a conflicted _users document, then it is that refusal, not a wrong password', () => {
    assert.equal(refusalOf(answer(401, 'unauthorized', 'User document conflicts must be resolved before the document is used for authentication purposes.')), 'conflicted')
  })

  it('when a 401 or 403 is about permissions, then it is no refusal of the credentials', () => {
    assert.equal(refusalOf(answer(401, 'unauthorized', 'You are not a server admin.')), undefined)
    assert.equal(refusalOf(answer(403, 'forbidden', 'You are not allowed to access this db.')), undefined)
    assert.equal(refusalOf({ status: 200, body: { ok: true } }), undefined)
  })
})

describe('conflicting revisions', () => {
  it('when leaves are ordered, then CouchDB\'s winner comes first: the higher generation, then the larger hash', () => {
    const leaves = ['1-ffff', '2-0000', '2-00ff', '10-0000', '1-0000']
    assert.deepEqual([...leaves].sort(compareRevisions), ['10-0000', '2-00ff', '2-0000', '1-ffff', '1-0000'])
  })
})

describe('report', () => {
  const report: BootstrapReport = {
    ok: false,
    dryRun: false,
    url: 'http://couch:5984',
    couchdbVersion: '3.4.3',
    steps: [
      { name: 'wait', status: 'unchanged', message: 'CouchDB is up.', durationMs: 3 },
      { name: 'admin', status: 'failed', message: 'rejected.', durationMs: 3 },
      { name: 'database', status: 'skipped', message: 'not run: step admin failed.', durationMs: 0 }
    ]
  }

  it('when a step failed, then the text has one line per step and a FAILED summary with counts', () => {
    const lines = formatReport(report).split('\n')
    assert.equal(lines.length, 4)
    assert.match(lines[1]!, /^admin\s+failed\s+rejected\.$/)
    assert.equal(lines[3], 'bootstrap FAILED: 1 unchanged, 1 failed, 1 skipped (CouchDB 3.4.3 at http://couch:5984)')
  })

  it('when dry-running, then a planned change reads "would be created"', () => {
    assert.match(formatStep({ name: 'database', status: 'created', message: 'would create database zerglings.', durationMs: 1 }, true), /would be created/)
  })
})
