// Issue 17, "Rotation test": the runbook of docs/kubernetes.md ("Rotating the CouchDB password")
// under load, with `overmind serve` as a process reading its password from a mounted Secret.
// Keyed clients send commands while the Secret is swapped the way the kubelet swaps it and
// `overmind bootstrap rotate-password` changes the app user's password in CouchDB: no request
// may fail, the service must take the new password within seconds (its counter and its log
// say so), the old password must be refused afterwards, and no log line may carry either one.
// Runs on the double and unchanged on a real CouchDB 3.4 (COUCHDB_TEST_URL), lockout on: the
// service reaches CouchDB through a proxy that counts its failed password checks.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { appSetup, deleteUsers, runJson, statuses } from '../bootstrap/helpers.js'
import { failedCredentialChecks, startCouchProxy } from '../support/couch-proxy.js'
import { mountSecret } from '../support/mounted-secret.js'
import { startServe } from '../support/overmind-process.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

let couch: TestCouch
const users: string[] = []
before(async () => { couch = await startTestCouch() })
after(async () => {
  await deleteUsers(couch, users)
  await couch.close()
})

/** Three keyed clients, each steering its own zergling until `stop` is set; every answer kept. */
function commandLoad (baseUrl: string, stop: { now: boolean }): { statuses: number[], done: Promise<void> } {
  const answers: number[] = []
  const send = async (path: string, body: string | undefined): Promise<unknown> => {
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomBytes(8).toString('hex') },
        body
      })
      answers.push(response.status)
      return await response.json()
    } catch {
      answers.push(0)
      return undefined
    }
  }
  const client = async (): Promise<void> => {
    const spawned = await send('/zerglings/', undefined) as { zergling?: { id: string } } | undefined
    const id = spawned?.zergling?.id
    if (id === undefined) return
    while (!stop.now) await send(`/zerglings/${id}`, JSON.stringify('M'))
  }
  return { statuses: answers, done: Promise.all([client(), client(), client()]).then(() => {}) }
}

async function until<T> (what: string, withinMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + withinMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${withinMs} ms`)
    await sleep(100)
  }
}

async function rotations (baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text()
  return Number(/^overmind_couchdb_credential_rotations_total (\d+)$/m.exec(text)?.[1] ?? NaN)
}

describe('rotating the app user\'s CouchDB password under load', () => {
  for (const auth of ['cookie', 'basic'] as const) {
    it(`when the Secret is swapped and rotate-password runs (${auth}), then no request fails, the service logs in with the new password within seconds, the old one is refused and no log line holds either`, async () => {
      const { env, app } = appSetup(couch, 'rotation', users)
      assert.equal((await runJson(['database', 'app-user'], env)).code, 0)
      const newPassword = 'app-' + randomBytes(8).toString('hex')
      const secret = await mountSecret('app-password', app.password)
      const proxy = await startCouchProxy(couch.url)
      const serve = await startServe({
        COUCHDB_URL: proxy.url,
        COUCHDB_USERNAME: app.name,
        COUCHDB_PASSWORD_FILE: secret.path,
        OVERMIND_DATABASE: env.OVERMIND_DATABASE,
        OVERMIND_COUCHDB_AUTH: auth
      })
      const stop = { now: false }
      const load = commandLoad(serve.baseUrl, stop)
      try {
        await until('the first commands', 20_000, () => load.statuses.length >= 30 ? true : undefined)
        assert.equal(await rotations(serve.baseUrl), 0)

        // 1. The Secret changes; 2. once the pod has it, the Job changes the password in CouchDB.
        await secret.update(newPassword)
        await until('the service reading the new Secret', 20_000, () => serve.output().includes('the mounted CouchDB password changed') ? true : undefined)
        const job = await runJson(['rotate-password'], { ...env, COUCHDB_APP_PASSWORD: newPassword })
        assert.equal(statuses(job.report)['rotate-password'], 'updated', job.stderr)
        const rotatedAt = load.statuses.length
        await until('the service taking the new password', 10_000, async () => await rotations(serve.baseUrl) === 1 ? true : undefined)
        await until('more commands after the rotation', 20_000, () => load.statuses.length >= rotatedAt + 30 ? true : undefined)
        stop.now = true
        await load.done

        assert.deepEqual(load.statuses.filter((status) => status !== 200 && status !== 201), [], 'no request failed')
        assert.match(serve.output(), auth === 'cookie' ? /"msg":"CouchDB password changed, new session"/ : /"msg":"CouchDB password changed, sent from now on"/)
        // From another address (a private X-Forwarded-For), so this check counts toward no lockout of the service's.
        const elsewhere = { 'x-forwarded-for': '10.17.0.1' }
        assert.equal(await sessionStatus(app.name, app.password, elsewhere), 401, 'the old password is refused')
        assert.equal(await sessionStatus(app.name, newPassword, elsewhere), 200, 'the new password works')
        const failed = failedCredentialChecks(proxy.requests).length
        // A cookie CouchDB voids is no password check; with Basic, each call in flight at the switch is one.
        if (auth === 'cookie') assert.equal(failed, 0, 'the service sent no password CouchDB refused')
        else assert.ok(failed <= 3, `at most one refused check per client in flight, saw ${failed}`)
        const again = await runJson(['rotate-password'], { ...env, COUCHDB_APP_PASSWORD: newPassword })
        assert.equal(statuses(again.report)['rotate-password'], 'unchanged', 'rotate-password again writes nothing')
      } finally {
        stop.now = true
        await load.done
        await serve.kill()
        await proxy.close()
        await secret.remove()
        await couch.deleteDatabase(env.OVERMIND_DATABASE)
      }
      for (const password of [app.password, newPassword]) assert.ok(!serve.output().includes(password), 'no log line holds a password')
    })
  }
})

async function sessionStatus (name: string, password: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(`${couch.url}/_session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name, password }) })
  await response.arrayBuffer()
  return response.status
}
