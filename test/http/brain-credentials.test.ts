// Issue 10: a replica whose CouchDB credentials are refused, under continuous requests, on a
// CouchDB with auth lockout on (the double's default, and a real CouchDB 3.4's). It must not
// turn every request into a failed login (CouchDB would lock its address out), it must say what
// is wrong (which user, rejected or locked) to clients and to /readyz, and it must come back by
// itself once CouchDB accepts the credentials. The wrong passwords belong to a user of the
// test's own, never the shared admin; a proxy counts the failed checks on any server.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { createApp } from '../../src/http/app.js'
import { createCouchStore } from '../../src/store/couch-store.js'
import { failedCredentialChecks, startCouchProxy, type CouchProxy } from '../support/couch-proxy.js'
import { createUserDatabase, type CouchUser } from '../support/couch-user.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

interface Answer { status: number, error?: string, reason?: string }

let couch: TestCouch
before(async () => { couch = await startTestCouch() })
after(async () => { await couch.close() })

/** A replica (the app on a CouchDB store) reaching CouchDB through a counting proxy. */
async function startReplica (password: (user: CouchUser) => string, auth: 'cookie' | 'basic' = 'cookie'): Promise<{ app: FastifyInstance, user: CouchUser, proxy: CouchProxy, close: () => Promise<void> }> {
  const { database, user, remove } = await createUserDatabase(couch, 'credentials')
  const proxy = await startCouchProxy(couch.url)
  const store = createCouchStore({ couch: { url: proxy.url, username: user.name, password: password(user), database, requestTimeoutMs: 2000, auth } })
  const app = await createApp({ store })
  return {
    app,
    user,
    proxy,
    async close () {
      await app.close()
      await proxy.close()
      await remove()
    }
  }
}

async function ask (app: FastifyInstance, method: 'GET' | 'POST', url: string): Promise<Answer> {
  const response = await app.inject({ method, url })
  const body = response.json()
  return { status: response.statusCode, error: body.error, reason: body.reason ?? body.status }
}

/** Clients listing and spawning for `ms`, and a readiness probe once a second, as Kubernetes would. */
async function continuousRequests (app: FastifyInstance, ms: number): Promise<{ requests: Answer[], probes: Answer[] }> {
  const requests: Answer[] = []
  const probes: Answer[] = []
  const until = Date.now() + ms
  const clients = [0, 1, 2].map(async (i) => {
    while (Date.now() < until) {
      requests.push(await ask(app, i === 0 ? 'POST' : 'GET', '/zerglings/'))
      await sleep(20)
    }
  })
  const prober = (async () => {
    while (Date.now() < until) {
      probes.push(await ask(app, 'GET', '/readyz'))
      await sleep(1000)
    }
  })()
  await Promise.all([...clients, prober])
  return { requests, probes }
}

/** Polls until the replica spawns again; returns how long that took. */
async function servesAgainWithin (app: FastifyInstance, ms: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < ms) {
    if ((await ask(app, 'POST', '/zerglings/')).status === 201) return Date.now() - started
    await sleep(100)
  }
  return assert.fail(`the replica did not serve again within ${ms} ms`)
}

function assertAllSay (answers: Answer[], pattern: RegExp, user: CouchUser, password: string, what: string): void {
  const wrong = answers.filter((a) => a.status !== 503 || !pattern.test(a.reason ?? '') || !(a.reason ?? '').includes(`"${user.name}"`) || (a.reason ?? '').includes(password))
  assert.deepEqual(wrong, [], `${what}: every answer is 503 with a reason that names the user and matches ${String(pattern)}`)
}

describe('when CouchDB refuses a replica\'s credentials', () => {
  for (const auth of ['cookie', 'basic'] as const) {
    it(`when the password is wrong (${auth}) under continuous requests, then CouchDB sees a handful of failed logins, clients and /readyz get 503 naming the user, and the replica serves within seconds once CouchDB takes that password, without a restart`, async () => {
      const wrong = `wrong-pw-${randomBytes(6).toString('hex')}`
      const replica = await startReplica(() => wrong, auth)
      try {
        couch.double?.resetCounters()
        const { requests, probes } = await continuousRequests(replica.app, 10_000)
        const failed = failedCredentialChecks(replica.proxy.requests).length
        console.log(`${auth}: ${requests.length} requests and ${probes.length} probes in 10 s; CouchDB saw ${failed} failed logins (double: ${couch.double?.authFailures ?? 'n/a'})`)
        assert.ok(failed >= 1 && failed <= 5, `a handful of failed logins, not one per request: ${failed}`)
        if (couch.double !== undefined) assert.equal(couch.double.authFailures, failed)
        assertAllSay(requests, /rejected the credentials/, replica.user, wrong, 'clients')
        assert.ok(requests.every((a) => a.error === 'brain_damaged'))
        assertAllSay(probes, /rejected the credentials/, replica.user, wrong, '/readyz')

        await replica.user.setPassword(wrong)
        const tookMs = await servesAgainWithin(replica.app, 20_000)
        console.log(`${auth}: serving again ${tookMs} ms after the password was set`)
        assert.equal((await ask(replica.app, 'GET', '/readyz')).status, 200)
      } finally {
        await replica.close()
      }
    })
  }

  it('when CouchDB has locked the replica\'s user out of this address, then clients and /readyz get 503 saying so with the config section to look at, and the replica serves within seconds once the user\'s password is set again', async () => {
    const replica = await startReplica((user) => user.password)
    try {
      await replica.user.lockOut()
      const { requests, probes } = await continuousRequests(replica.app, 4000)
      assertAllSay(requests, /locked .* out of this address.*\[chttpd_auth_lockout\] max_lifetime/, replica.user, replica.user.password, 'clients')
      assertAllSay(probes, /locked/, replica.user, replica.user.password, '/readyz')
      const refused = failedCredentialChecks(replica.proxy.requests).length
      assert.ok(refused <= 4, `the locked user is not tried on every request: ${refused} logins in 4 s`)

      // A new salt: the lockout key is {address, user, salt}.
      await replica.user.setPassword(replica.user.password)
      const tookMs = await servesAgainWithin(replica.app, 20_000)
      console.log(`locked: serving again ${tookMs} ms after the password was set again`)
    } finally {
      await replica.close()
    }
  })
})
