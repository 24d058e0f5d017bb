// The contract on CouchDB (the protocol double, or a real CouchDB when COUCHDB_TEST_URL is set),
// then what only a server can do wrong: missing database, wrong password, down, slow.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { inspect } from 'node:util'
import { after, describe, it, type TestContext } from 'node:test'
import type { CouchConnection } from '../../src/config.js'
import { translateCouchError } from '../../src/store/couch-errors.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import { isStoreError, type StoreErrorKind } from '../../src/store/store-error.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { startTestCouch } from '../support/test-couch.js'
import { changesContract } from './changes.contract.js'
import { conflictsContract } from './conflicts.contract.js'
import { deletesContract } from './deletes.contract.js'
import { pinnedRevisionsContract } from './pinned-revisions.contract.js'
import { assertStoreError, zerglingStoreContract, type StoreFixture } from './zergling-store.contract.js'

type TestCouch = Awaited<ReturnType<typeof startTestCouch>>

const couch = await startTestCouch()
after(async () => { await couch.close() })

function basic (username: string, password: string): Record<string, string> {
  return username === '' ? {} : { authorization: `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}` }
}

/** Plain HTTP as an admin, past the store: the store itself never creates databases. */
async function couchRequest (server: TestCouch, method: string, path: string, body?: unknown): Promise<{ status: number, body: unknown }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...basic(server.username, server.password), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: response.status, body: await response.json() }
}

/** `_design/x` keeps its slash on the wire (CouchDB's own path form); everything else is encoded. */
function docPath (database: string, id: string): string {
  const encoded = id.startsWith('_design/') ? `_design/${encodeURIComponent(id.slice(8))}` : encodeURIComponent(id)
  return `/${encodeURIComponent(database)}/${encoded}`
}

async function createDatabase (server: TestCouch, prefix: string): Promise<string> {
  const database = server.uniqueDatabaseName(prefix)
  const { status } = await couchRequest(server, 'PUT', `/${encodeURIComponent(database)}`)
  assert.equal(status, 201, `creating the test database ${database}`)
  return database
}

function connection (server: TestCouch, database: string, overrides: Partial<CouchConnection> = {}): CouchConnection {
  const credentials = server.username === '' ? {} : { username: server.username, password: server.password }
  return { url: server.url, ...credentials, database, requestTimeoutMs: 5000, ...overrides }
}

async function createFixture (): Promise<StoreFixture> {
  const database = await createDatabase(couch, 'contract')
  const stores: ZerglingStore[] = []
  const partitions: StoreFixture[] = []
  return {
    async open (options) {
      const store = createCouchStore({ couch: connection(couch, database), ...options })
      stores.push(store)
      return store
    },
    async putRaw (doc) {
      const { status } = await couchRequest(couch, 'PUT', docPath(database, doc._id), doc)
      assert.equal(status, 201, `writing ${doc._id}`)
    },
    async getRaw (id, query = {}) {
      const search = new URLSearchParams(Object.entries(query).map(([name, value]) => [name, String(value)])).toString()
      const { status, body } = await couchRequest(couch, 'GET', `${docPath(database, id)}${search === '' ? '' : `?${search}`}`)
      assert.equal(status, 200, `reading ${id}`)
      return body as Record<string, unknown>
    },
    async rawIds () {
      const { status, body } = await couchRequest(couch, 'GET', `/${encodeURIComponent(database)}/_all_docs`)
      assert.equal(status, 200, 'listing every document')
      return (body as { rows: Array<{ id: string }> }).rows.map((row) => row.id)
    },
    // https://docs.couchdb.org/en/stable/api/database/bulk-api.html#post--db-_all_docs: a deleted doc's row has its rev.
    async rawRevision (id) {
      const { status, body } = await couchRequest(couch, 'POST', `/${encodeURIComponent(database)}/_all_docs`, { keys: [id] })
      assert.equal(status, 200, `looking up ${id}`)
      return (body as { rows: Array<{ value?: { rev: string } }> }).rows[0]?.value?.rev
    },
    // https://docs.couchdb.org/en/stable/api/database/bulk-api.html#api-db-bulk-docs-new-edits
    async putRevisions (docs) {
      const { status, body } = await couchRequest(couch, 'POST', `/${encodeURIComponent(database)}/_bulk_docs`, { new_edits: false, docs })
      assert.equal(status, 201, `replicating ${JSON.stringify(body)}`)
    },
    async partition () {
      const side = await createFixture()
      partitions.push(side)
      return side
    },
    async destroy () {
      for (const side of partitions) await side.destroy()
      for (const store of stores) await store.close()
      await couch.deleteDatabase(database)
    }
  }
}

zerglingStoreContract('CouchDB', createFixture)
conflictsContract('CouchDB', createFixture)
deletesContract('CouchDB', createFixture)
changesContract('CouchDB', createFixture)
pinnedRevisionsContract('CouchDB', createFixture)

/** Neither the password, nor its Basic token, nor a URL with credentials, anywhere in the error. */
function assertNoSecrets (error: unknown, ...passwords: Array<string | undefined>): void {
  const text = `${String(error)}\n${inspect(error, { depth: 5 })}`
  for (const password of passwords) {
    if (password === undefined || password === '') continue
    assert.ok(!text.includes(password), 'the error shows a password')
    const token = Buffer.from(`${couch.username}:${password}`).toString('base64')
    assert.ok(!text.includes(token), 'the error shows a Basic token')
  }
  assert.ok(!/\/\/[^/\s]*:[^/\s]*@/.test(text), 'the error shows a URL with credentials')
}

async function expectStoreError (promise: Promise<unknown>, kind: StoreErrorKind, ...passwords: Array<string | undefined>): Promise<Error> {
  const error = await promise.then(() => undefined, (rejection: unknown) => rejection)
  assert.ok(isStoreError(error, kind), `expected StoreError ${kind}, got ${inspect(error)}`)
  assertNoSecrets(error, ...passwords)
  return error
}

describe('the CouchDB store against a server', () => {
  it('when the database does not exist, then check and every call say missing_database and name overmind bootstrap', async () => {
    const store = createCouchStore({ couch: connection(couch, couch.uniqueDatabaseName('missing')) })
    const status = await store.check()
    assert.equal(status.ok, false)
    assert.equal(status.ok === false && status.kind, 'missing_database')
    assert.match(status.ok === false ? status.reason : '', /overmind bootstrap/)
    const errors = [
      await expectStoreError(store.get(randomUUID(), 'all'), 'missing_database', couch.password),
      await expectStoreError(store.spawn(), 'missing_database', couch.password),
      await expectStoreError(store.list({ limit: 10 }), 'missing_database', couch.password)
    ]
    for (const error of errors) assert.match(error.message, /overmind bootstrap/)
    await store.close()
  })

  it('when the store lists, then each request asks CouchDB for one page only', async (t) => {
    if (couch.double === undefined) return t.skip('needs the double to see requests')
    const fixture = await createFixture()
    try {
      const store = await fixture.open()
      for (let i = 0; i < 5; i++) await store.spawn()
      couch.double.resetCounters()
      await store.list({ limit: 2 })
      const lists = couch.double.requests.filter((r: { path: string }) => r.path.endsWith('/_all_docs'))
      assert.equal(lists.length, 1)
    } finally {
      await fixture.destroy()
    }
  })
})

/**
 * A server of its own (stopping or slowing the shared one would break other tests) with a store
 * on a fresh database; skipped on a real CouchDB, which cannot be stopped or slowed from here.
 */
async function withOwnDouble (
  t: TestContext,
  requestTimeoutMs: number,
  test: (store: ZerglingStore, double: NonNullable<TestCouch['double']>, own: TestCouch) => Promise<void>
): Promise<void> {
  const own = await startTestCouch()
  try {
    if (own.double === undefined) return t.skip('needs the double')
    const database = await createDatabase(own, 'misbehaving')
    const store = createCouchStore({ couch: connection(own, database, { requestTimeoutMs }) })
    try {
      await test(store, own.double, own)
    } finally {
      await store.close()
    }
  } finally {
    await own.close()
  }
}

describe('the CouchDB store when the server misbehaves', () => {
  it('when the server is stopped, then calls and check say unavailable within the timeout', async (t) => {
    await withOwnDouble(t, 1000, async (store, double, own) => {
      await store.spawn()
      await double.stop()
      const started = Date.now()
      await expectStoreError(store.get(randomUUID(), 'all'), 'unavailable', own.password)
      assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`)
      const status = await store.check()
      assert.equal(status.ok === false && status.kind, 'unavailable')
    })
  })

  it('when the server answers slower than requestTimeoutMs, then the call says unavailable in about that time', async (t) => {
    await withOwnDouble(t, 200, async (store, double, own) => {
      double.setLatency(2000)
      const started = Date.now()
      const error = await expectStoreError(store.get(randomUUID(), 'all'), 'unavailable', own.password)
      const elapsed = Date.now() - started
      assert.ok(elapsed >= 150 && elapsed < 1500, `took ${elapsed} ms`)
      assert.match(error.message, /200 ms/)
      assert.equal((await store.check()).ok, false)
      double.setLatency(0)
      assert.deepEqual(await store.check(), { ok: true }, 'the store recovers once the server is fast again')
    })
  })

  it('when the connection drops halfway through a successful answer, then the call says unavailable, not success', async (t) => {
    await withOwnDouble(t, 1000, async (store, double, own) => {
      const { id } = (await store.spawn()).result
      double.cutNextResponses(1)
      await expectStoreError(store.get(id, 'all'), 'unavailable', own.password)
      assert.equal((await store.get(id, 'all')).id, id, 'the next call works again')
    })
  })
})

describe('translateCouchError', () => {
  const cases: Array<[string, unknown, StoreErrorKind]> = [
    ['a 404 for a missing database (3.x)', { statusCode: 404, error: 'not_found', reason: 'Database does not exist.' }, 'missing_database'],
    ['a 404 for a missing database (1.x)', { statusCode: 404, error: 'not_found', reason: 'no_db_file' }, 'missing_database'],
    ['a 404 for a deleted doc', { statusCode: 404, error: 'not_found', reason: 'deleted' }, 'not_found'],
    ['a 409', { statusCode: 409, error: 'conflict' }, 'conflict'],
    ['a 401', { statusCode: 401, error: 'unauthorized' }, 'unauthorized'],
    ['a 403', { statusCode: 403, error: 'forbidden' }, 'unauthorized'],
    ['a 500', { statusCode: 500, error: 'error', reason: 'no_majority' }, 'unavailable'],
    ['a connection failure', new Error('error happened in your connection. Reason: connect ECONNREFUSED'), 'unavailable']
  ]
  for (const [what, error, kind] of cases) {
    it(`when CouchDB gives ${what}, then the kind is ${kind}`, () => {
      assert.equal(translateCouchError(error, { database: 'zerglings' }).kind, kind)
    })
  }

  it('when a connection was refused, then nothing can have been written; when it broke or timed out, a write may have been', () => {
    assert.equal(translateCouchError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5984'), { code: 'ECONNREFUSED' }), { database: 'z' }).ambiguous, false)
    assert.equal(translateCouchError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), { database: 'z' }).ambiguous, true)
    assert.equal(translateCouchError(new Error('aborted'), { database: 'z' }, 5000).ambiguous, true)
    assert.equal(translateCouchError({ statusCode: 500, error: 'error' }, { database: 'z' }).ambiguous, false)
  })

  it('when the HTTP client\'s error carries a URL with credentials, then the StoreError carries none of it', () => {
    const leaky = Object.assign(new Error('boom http://admin:s3cret@couch:5984/zerglings'), {
      statusCode: 500, error: 'error', reason: 'http://admin:s3cret@couch:5984', request: { uri: 'http://admin:s3cret@couch:5984/zerglings' }
    })
    const translated = translateCouchError(leaky, { database: 'zerglings' })
    assertNoSecrets(translated, 's3cret')
    assert.equal(translated.cause, undefined)
  })
})

// The store never creates the database: a store on a missing one leaves it missing.
it('when a store runs against a missing database, then the database is still missing afterwards', async () => {
  const database = couch.uniqueDatabaseName('nocreate')
  const store = createCouchStore({ couch: connection(couch, database) })
  await assertStoreError(store.spawn(), 'missing_database')
  await store.check()
  await store.close()
  assert.equal((await couchRequest(couch, 'GET', `/${encodeURIComponent(database)}`)).status, 404)
})

describe('the CouchDB store\'s session', () => {
  it('when many calls are made, then it logs in once and sends the session cookie instead of the password', async (t) => {
    await withOwnDouble(t, 2000, async (store, double) => {
      double.resetCounters()
      await Promise.all(Array.from({ length: 10 }, async () => await store.spawn()))
      await store.list({ limit: 10 })
      const logins = double.requests.filter((r) => r.path === '/_session' && r.method === 'POST')
      assert.equal(logins.length, 1)
      assert.ok(double.requests.every((r) => r.status < 400), 'no request was refused')
    })
  })

  it('when CouchDB stops accepting the session, then the store logs in again once and the call succeeds', async (t) => {
    await withOwnDouble(t, 2000, async (store, double) => {
      const { id } = (await store.spawn()).result
      double.expireSessions()
      double.resetCounters()
      await Promise.all(Array.from({ length: 5 }, async () => await store.get(id, 'none')))
      assert.equal(double.requests.filter((r) => r.path === '/_session').length, 1, 'concurrent callers share one new login')
    })
  })
})
