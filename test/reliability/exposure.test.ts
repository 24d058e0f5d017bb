// Issue 5, item 6: secrets and exposure, seen from outside real `overmind serve` processes.
// Security headers on every kind of answer, CORS absent unless configured (and then only for
// the configured origin), and a misconfigured or absent CouchDB never shows a client its
// address, its user's password or the Basic token — nor does any log line carry the password.
import { randomUUID } from 'node:crypto'
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { send, type Answer } from './support/client.js'
import { startCluster, type Cluster, type Replica } from './support/cluster.js'
import { recordLedgerFor } from './support/ledger.js'
import { secretHits, watchInternalAddress, watchSecret } from './support/secrets.js'
import { freePort } from '../support/free-port.js'

recordLedgerFor(import.meta.url)

const WRONG_PASSWORD = 'sentinel-wrong-pw-77c2-chaos'
// A user name of its own: wrong passwords for the shared admin would lock it out (CouchDB 3.4).
const WRONG_USER = `wrong-${randomUUID()}`
const UUID = 'c4a24574-4ca8-4fbd-93e1-2a648147a71f'

function assertSecurityHeaders (answer: Answer, what: string): void {
  assert.equal(answer.headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`)
  assert.ok(answer.headers['x-frame-options'] !== undefined || /frame-ancestors/.test(String(answer.headers['content-security-policy'])), `${what}: framing is refused`)
  assert.ok(answer.headers['strict-transport-security'] !== undefined, `${what}: Strict-Transport-Security`)
  assert.equal(answer.headers['x-powered-by'], undefined, `${what}: no X-Powered-By`)
}

describe('exposure through overmind serve', () => {
  let cluster: Cluster
  let healthy: Replica
  let noDatabase: Replica
  let wrongPassword: Replica
  let noCouch: Replica
  let configured: Replica

  before(async () => {
    watchSecret(WRONG_USER, WRONG_PASSWORD)
    cluster = await startCluster({ replicas: 1, databasePrefix: 'reliability-exposure', env: { OVERMIND_COUCHDB_TIMEOUT_MS: '1000' } })
    healthy = cluster.replicas[0]!
    const port = await freePort()
    watchInternalAddress(`http://127.0.0.1:${port}`)
    ;[noDatabase, wrongPassword, noCouch, configured] = await Promise.all([
      cluster.addReplica({ OVERMIND_DATABASE: cluster.couch.uniqueDatabaseName('never-created') }),
      cluster.addReplica({ COUCHDB_USERNAME: WRONG_USER, COUCHDB_PASSWORD: WRONG_PASSWORD }),
      cluster.addReplica({ COUCHDB_URL: `http://127.0.0.1:${port}` }),
      cluster.addReplica({ OVERMIND_CORS_ORIGIN: 'https://app.example', OVERMIND_RATE_LIMIT_PER_MINUTE: '5' })
    ])
  })
  after(async () => { await cluster?.close() })

  it('when answers of every kind come back, then each carries the security headers', async () => {
    const spawned = await send(`${healthy.baseUrl}/zerglings/`, { method: 'POST' })
    const id = spawned.json().zergling.id as string
    const answers: Array<[string, Answer]> = [
      ['201 spawn', spawned],
      ['200 command', await send(`${healthy.baseUrl}/zerglings/${id}`, { body: '"M"' })],
      ['400 bad command', await send(`${healthy.baseUrl}/zerglings/${id}`, { body: '"X"' })],
      ['404 unknown path', await send(`${healthy.baseUrl}/nowhere`)],
      ['405 wrong method', await send(`${healthy.baseUrl}/zerglings/`, { method: 'PUT' })],
      ['413 huge body', await send(`${healthy.baseUrl}/zerglings/${id}`, { body: `"${'M'.repeat(100_000)}"` })],
      ['503 brain damaged', await send(`${noDatabase.baseUrl}/zerglings/`)],
      ['200 docs', await send(`${healthy.baseUrl}/openapi.json`)]
    ]
    for (const [what, answer] of answers) {
      assert.equal(String(answer.status), what.slice(0, 3), `${what} answered ${answer.status}`)
      assertSecurityHeaders(answer, what)
    }
  })

  it('when a browser from another origin asks and no origin is configured, then no CORS header is sent, preflight included', async () => {
    const simple = await send(`${healthy.baseUrl}/zerglings/`, { headers: { origin: 'https://evil.example' } })
    const preflight = await send(`${healthy.baseUrl}/zerglings/`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
    for (const answer of [simple, preflight]) {
      assert.deepEqual(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-')), [])
    }
  })

  it('when OVERMIND_CORS_ORIGIN and OVERMIND_RATE_LIMIT_PER_MINUTE are set, then only that origin is allowed and the limit answers 429 in our error shape', async () => {
    const allowed = await send(`${configured.baseUrl}/zerglings/`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example')
    const other = await send(`${configured.baseUrl}/zerglings/`, { headers: { origin: 'https://evil.example' } })
    assert.equal(other.headers['access-control-allow-origin'], undefined)
    const answers: Answer[] = []
    for (let i = 0; i < 8; i++) answers.push(await send(`${configured.baseUrl}/zerglings/`))
    const limited = answers.find((answer) => answer.status === 429)
    assert.ok(limited !== undefined, `the limit of 5 a minute was enforced (${answers.map((a) => a.status).join(' ')})`)
    assert.deepEqual(Object.keys(limited.json()).sort(), ['error', 'reason'])
    assert.equal((await send(`${configured.baseUrl}/readyz`)).status, 200, 'probes are not limited')
  })

  for (const [what, replica, error] of [
    ['the database is missing', () => noDatabase, 'brain_damaged'],
    ['the password is wrong', () => wrongPassword, 'brain_damaged'],
    ['CouchDB is not there', () => noCouch, 'brain_unavailable']
  ] as const) {
    it(`when ${what}, then every route answers 503 ${error} with Retry-After, probes say so, and no answer names CouchDB's address or credentials`, async () => {
      const { baseUrl } = replica()
      for (const [method, path, body] of [['POST', '/zerglings/', undefined], ['GET', '/zerglings/', undefined], ['GET', `/zerglings/${UUID}`, undefined],
        ['POST', `/zerglings/${UUID}`, '"M"'], ['GET', `/zerglings/${UUID}/history`, undefined], ['DELETE', `/zerglings/${UUID}`, undefined]] as const) {
        const answer = await send(`${baseUrl}${path}`, { method, body })
        assert.equal(answer.status, 503, `${method} ${path}`)
        assert.equal(answer.json().error, error)
        assert.ok(Number(answer.headers['retry-after']) > 0)
        assert.doesNotMatch(answer.body, /https?:\/\/|127\.0\.0\.1|localhost/, 'no URL or host in the answer')
      }
      assert.equal((await send(`${baseUrl}/_health`)).json().health.brain, 'damaged')
      assert.equal((await send(`${baseUrl}/readyz`)).status, 503)
    })
  }

  it('then no response and no log line of any replica carried a password, the Basic token or CouchDB\'s address', async () => {
    await cluster.close()
    assert.deepEqual(secretHits(), [])
  })
})
