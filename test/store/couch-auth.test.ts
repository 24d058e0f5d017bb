// The CouchDB store's credentials against a server (the double, or a real CouchDB 3.4 with
// COUCHDB_TEST_URL): a wrong password, a password changed under a live session, a lockout, and
// the session cookie CouchDB refreshes. Every wrong password belongs to a user of the test's own
// (test/support/couch-user.ts); a proxy in front of the server counts what reached it.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'
import type { CouchConnection } from '../../src/config.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import { isStoreError } from '../../src/store/store-error.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { failedCredentialChecks, startCouchProxy, type CouchProxy } from '../support/couch-proxy.js'
import { createUserDatabase, type CouchUser } from '../support/couch-user.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

let couch: TestCouch
before(async () => { couch = await startTestCouch() })
after(async () => { await couch.close() })

interface Setup { store: ZerglingStore, user: CouchUser, proxy: CouchProxy, close: () => Promise<void> }

/** A fresh database with a user of its own, a proxy, and a store that logs in as `password`. */
async function setUp (password: (user: CouchUser) => string, overrides: Partial<CouchConnection> = {}): Promise<Setup> {
  const { database, user, remove } = await createUserDatabase(couch, 'auth')
  const proxy = await startCouchProxy(couch.url)
  const store = createCouchStore({ couch: { url: proxy.url, username: user.name, password: password(user), database, requestTimeoutMs: 3000, ...overrides } })
  return {
    store,
    user,
    proxy,
    async close () {
      await store.close()
      await proxy.close()
      await remove()
    }
  }
}

async function refusalOf (promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (rejection: unknown) => rejection)
  assert.ok(isStoreError(error, 'unauthorized'), `expected StoreError unauthorized, got ${inspect(error)}`)
  return error
}

function assertNamesUserNotPassword (text: string, user: CouchUser, ...passwords: string[]): void {
  assert.ok(text.includes(`"${user.name}"`), `the reason names the user: ${text}`)
  for (const password of passwords) assert.ok(!text.includes(password), 'the reason shows no password')
  assert.doesNotMatch(text, /https?:\/\//, 'the reason shows no URL')
}

async function eventuallyOk (store: ZerglingStore, withinMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < withinMs) {
    if ((await store.check()).ok) return Date.now() - started
    await sleep(200)
  }
  assert.fail(`the store did not recover within ${withinMs} ms`)
}

describe('the CouchDB store with credentials CouchDB refuses', () => {
  for (const auth of ['cookie', 'basic'] as const) {
    it(`when the password is wrong (${auth}), then a burst of calls costs one failed check, and each call and check fail at once naming the user, not the password`, async () => {
      const wrong = `wrong-${Date.now()}`
      const setup = await setUp(() => wrong, { auth })
      try {
        const errors = await Promise.all(Array.from({ length: 20 }, async () => await refusalOf(setup.store.list({ limit: 5 }))))
        for (const error of errors) {
          assert.match(error.message, /rejected the credentials/)
          assertNamesUserNotPassword(`${error.message} ${inspect(error)}`, setup.user, wrong, setup.user.password)
        }
        const started = Date.now()
        const status = await setup.store.check()
        assert.equal(status.ok === false && status.kind, 'unauthorized')
        assert.ok(status.ok === false && /rejected the credentials/.test(status.reason))
        await refusalOf(setup.store.spawn())
        assert.ok(Date.now() - started < 500, 'during the pause nothing is sent')
        assert.equal(failedCredentialChecks(setup.proxy.requests).length, 1, `refused checks: ${JSON.stringify(setup.proxy.requests)}`)
      } finally {
        await setup.close()
      }
    })

    it(`when the user's password then becomes the one the store has (${auth}), then the store serves again within the backoff, without a new store`, async () => {
      const wrong = `wrong-${Date.now()}`
      const setup = await setUp(() => wrong, { auth })
      try {
        await refusalOf(setup.store.spawn())
        await setup.user.setPassword(wrong)
        const tookMs = await eventuallyOk(setup.store, 20_000)
        await setup.store.spawn()
        console.log(`recovered ${tookMs} ms after the password was set`)
        assert.ok(failedCredentialChecks(setup.proxy.requests).length <= 2)
      } finally {
        await setup.close()
      }
    })
  }

  it('when the user gets a new password while the store has a session, then the one renewal is refused and the store backs off instead of logging in per call', async () => {
    const setup = await setUp((user) => user.password)
    try {
      await setup.store.spawn()
      await setup.user.setPassword(`changed-${Date.now()}`)
      // A real CouchDB voids the old cookie itself (its HMAC covers the salt); the double is told to.
      couch.double?.expireSessions()
      const errors = await Promise.all(Array.from({ length: 10 }, async () => await refusalOf(setup.store.list({ limit: 1 }))))
      assert.match(errors[0]!.message, /rejected the credentials/)
      for (let i = 0; i < 10; i++) await refusalOf(setup.store.list({ limit: 1 }))
      assert.equal(setup.proxy.requests.filter((r) => r.path === '/_session').length, 2, 'the first login and one renewal')
    } finally {
      await setup.close()
    }
  })

  it('when CouchDB has locked the user out of this address, then the reason says locked, names [chttpd_auth_lockout], and the store serves once the password is set again', async (t) => {
    const setup = await setUp((user) => user.password)
    try {
      const tries = await setup.user.lockOut().catch(() => undefined)
      if (tries === undefined) return t.skip('this server has no auth lockout (the double before branch `double`)')
      const error = await refusalOf(setup.store.spawn())
      assert.match(error.message, /locked/)
      assert.match(error.message, /\[chttpd_auth_lockout\] max_lifetime/)
      assertNamesUserNotPassword(error.message, setup.user, setup.user.password)
      await setup.user.setPassword(setup.user.password)
      await eventuallyOk(setup.store, 20_000)
      assert.ok(failedCredentialChecks(setup.proxy.requests).length <= 3, `refused checks: ${failedCredentialChecks(setup.proxy.requests).length}`)
    } finally {
      await setup.close()
    }
  })
})

describe('the CouchDB store\'s session cookie', () => {
  /** A Set-Cookie for the user from CouchDB itself, different from any issued in an earlier second. */
  async function freshSetCookie (user: CouchUser, unlike: string | undefined): Promise<{ header: string, value: string }> {
    for (;;) {
      const response = await fetch(`${couch.url}/_session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: user.name, password: user.password }) })
      await response.arrayBuffer()
      const header = response.headers.get('set-cookie') ?? ''
      const value = /^AuthSession=([^;]*)/.exec(header)?.[1] ?? ''
      if (value !== unlike) return { header, value }
      await sleep(500)
    }
  }

  it('when CouchDB refreshes the cookie in an answer, then the store sends the new one and logs in no more', async () => {
    const setup = await setUp((user) => user.password)
    try {
      await setup.store.spawn()
      const first = setup.proxy.requests.find((r) => r.cookie !== undefined)?.cookie
      const refreshed = await freshSetCookie(setup.user, first)
      setup.proxy.refreshCookieWith(refreshed.header)
      await setup.store.list({ limit: 1 })
      await setup.store.list({ limit: 1 })
      const last = setup.proxy.requests.at(-1)!
      assert.equal(last.cookie, refreshed.value, 'the refreshed cookie is the one sent')
      assert.equal(setup.proxy.requests.filter((r) => r.path === '/_session').length, 1, 'one login only')
      if (couch.double === undefined) return
      // The refreshed cookie is the one to renew when CouchDB stops taking it (a restart with a new secret).
      couch.double.expireSessions()
      await Promise.all(Array.from({ length: 5 }, async () => await setup.store.list({ limit: 1 })))
      assert.equal(setup.proxy.requests.filter((r) => r.path === '/_session').length, 2, 'one renewal')
      await setup.store.list({ limit: 1 })
      assert.equal(setup.proxy.requests.at(-1)!.status, 200)
    } finally {
      await setup.close()
    }
  })
})
