// The CouchDB store on a password from a mounted Secret (COUCHDB_PASSWORD_FILE) that is rotated:
// the two orders an operator may get wrong or right, and the watcher that has not seen the swap
// yet. Against the double or a real CouchDB 3.4 (lockout on); every password belongs to a user
// of the test's own, and a proxy counts the failed password checks the store sent.
import assert from 'node:assert/strict'
import { after, before, describe, it, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CouchConnection } from '../../src/config.js'
import type { SecretFileOptions } from '../../src/secret-file.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'
import { failedCredentialChecks, startCouchProxy, type CouchProxy } from '../support/couch-proxy.js'
import { createUserDatabase, type CouchUser } from '../support/couch-user.js'
import { mountSecret, type MountedSecret } from '../support/mounted-secret.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

let couch: TestCouch
before(async () => { couch = await startTestCouch() })
after(async () => { await couch.close() })

interface Setup { store: ZerglingStore, user: CouchUser, secret: MountedSecret, proxy: CouchProxy, rotations: string[] }

/** Everything a test needs, closed when the test ends. */
async function setUp (t: TestContext, auth: CouchConnection['auth'], watch: SecretFileOptions = { pollMs: 100 }): Promise<Setup> {
  const { database, user, remove } = await createUserDatabase(couch, 'rotation')
  const secret = await mountSecret('password', user.password)
  const proxy = await startCouchProxy(couch.url)
  const rotations: string[] = []
  const store = createCouchStore({
    couch: { url: proxy.url, username: user.name, password: user.password, passwordFile: secret.path, database, requestTimeoutMs: 3000, auth },
    credentials: { onRotated: (how) => { rotations.push(how) } },
    passwordFile: watch
  })
  t.after(async () => {
    await store.close()
    await proxy.close()
    await secret.remove()
    await remove()
  })
  return { store, user, secret, proxy, rotations }
}

async function eventually (what: string, probe: () => Promise<boolean>, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${withinMs} ms`)
    await sleep(100)
  }
}

describe('the CouchDB store when its mounted password is rotated', () => {
  it('when the Secret changes before CouchDB\'s password, then the store keeps its session, tries nothing CouchDB would refuse, and takes the new password at once when CouchDB changes', async (t) => {
    const setup = await setUp(t, 'cookie')
    await setup.store.spawn()
    const before = setup.proxy.requests.length
    await setup.secret.update('rotated-' + setup.user.name)
    await sleep(500)
    await setup.store.list({ limit: 1 })
    assert.deepEqual(setup.proxy.requests.slice(before).filter((r) => r.path === '/_session'), [], 'no login with a password CouchDB does not hold yet')
    await setup.user.setPassword('rotated-' + setup.user.name)
    await setup.store.spawn()
    assert.deepEqual(setup.rotations, ['cookie'])
    assert.equal(failedCredentialChecks(setup.proxy.requests).length, 0)
  })

  it('when the session ends while the Secret holds a password CouchDB does not have yet, then the store logs in again with the one CouchDB has and keeps the new one for when CouchDB changes', async (t) => {
    const setup = await setUp(t, 'cookie')
    await setup.store.spawn()
    await setup.secret.update('rotated-' + setup.user.name)
    await sleep(500)
    // A cookie CouchDB does not take, one issued long past its session timeout (name:HEXTIME:HMAC,
    // well-formed: a malformed one is a 400): the next call is anonymous.
    const stale = Buffer.concat([Buffer.from(`${setup.user.name}:1:`), Buffer.alloc(32)] as Uint8Array[]).toString('base64url')
    setup.proxy.refreshCookieWith(`AuthSession=${stale}; Version=1; Max-Age=600; Path=/; HttpOnly`)
    await setup.store.list({ limit: 1 })
    await setup.store.spawn()
    assert.deepEqual(setup.rotations, [], 'still on the old password')
    assert.equal(failedCredentialChecks(setup.proxy.requests).length, 1, 'the new password was tried once')
    await setup.user.setPassword('rotated-' + setup.user.name)
    await setup.store.spawn()
    assert.deepEqual(setup.rotations, ['cookie'])
  })

  for (const auth of ['cookie', 'basic'] as const) {
    it(`when the kubelet has swapped the file but the watcher has not noticed (${auth}), then the refused call re-reads it and succeeds with the new password`, async (t) => {
      // A watcher that would take a minute: only the re-read on refusal can find the new password.
      const setup = await setUp(t, auth, { pollMs: 60_000, debounceMs: 60_000 })
      await setup.store.spawn()
      await setup.secret.update('rotated-' + setup.user.name)
      await setup.user.setPassword('rotated-' + setup.user.name)
      await setup.store.spawn()
      assert.deepEqual(setup.rotations, [auth])
      assert.ok(failedCredentialChecks(setup.proxy.requests).length <= (auth === 'basic' ? 1 : 0), 'the refused Basic call is the only failed check')
    })
  }

  it('when CouchDB\'s password changes before the Secret (the runbook\'s steps swapped), then calls fail until the file changes, the old password is not tried again meanwhile, and the store recovers as soon as the file changes', async (t) => {
    const setup = await setUp(t, 'cookie')
    await setup.store.spawn()
    await setup.user.setPassword('rotated-' + setup.user.name)
    await assert.rejects(setup.store.spawn(), /rejected the credentials/)
    // The kubelet takes its time; calls meanwhile fail at once, and CouchDB sees no second
    // check of the old password for 20 s (five would lock the new password out as well).
    const waitUntil = Date.now() + 3000
    while (Date.now() < waitUntil) {
      await assert.rejects(setup.store.list({ limit: 1 }), /rejected the credentials/)
      await sleep(100)
    }
    await setup.secret.update('rotated-' + setup.user.name)
    await eventually('the store recovering', async () => (await setup.store.check()).ok)
    await setup.store.spawn()
    assert.deepEqual(setup.rotations, ['cookie'])
    assert.equal(failedCredentialChecks(setup.proxy.requests).length, 1, 'one login with the old password, then none until the file changed')
  })

  it('when neither the password in use nor the Secret\'s new one is CouchDB\'s, then a burst of calls costs one check of each, and the right one from the Secret is taken at once', async (t) => {
    const setup = await setUp(t, 'cookie')
    await setup.store.spawn()
    await setup.secret.update('not-it-' + setup.user.name)
    await sleep(500)
    await setup.user.setPassword('third-' + setup.user.name)
    const answers = await Promise.allSettled(Array.from({ length: 20 }, async () => await setup.store.list({ limit: 1 })))
    assert.ok(answers.every((answer) => answer.status === 'rejected'))
    await Promise.allSettled(Array.from({ length: 20 }, async () => await setup.store.list({ limit: 1 })))
    assert.equal(failedCredentialChecks(setup.proxy.requests).length, 2, 'the pause holds for both passwords')
    await setup.secret.update('third-' + setup.user.name)
    await eventually('the store recovering', async () => (await setup.store.check()).ok)
    assert.deepEqual(setup.rotations, ['cookie'])
  })
})
