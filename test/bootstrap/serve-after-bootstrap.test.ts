// The "done when": `overmind serve` started after a successful bootstrap answers the
// seed's curl session, as the app user (least privilege) and with `serve --bootstrap` alone.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { startCouchDouble } from '../support/couch-double/index.js'
import { runOvermind, startServe, type OvermindProcess } from '../support/overmind-process.js'
import { replaySeedSession } from '../support/seed-session.js'
import { ADMIN, ADMIN_PASSWORD, APP_PASSWORD, bootstrapEnv } from './helpers.js'

const SKIP = process.env.COUCHDB_TEST_URL !== undefined && process.env.COUCHDB_TEST_URL !== ''
  ? 'needs a fresh CouchDB 1.x in admin party (the double); COUCHDB_TEST_URL names a real server'
  : false

describe('serve after bootstrap', { skip: SKIP }, () => {
  const cleanups: Array<() => Promise<unknown>> = []
  after(async () => { for (const cleanup of cleanups.reverse()) await cleanup() })

  it('when bootstrap ran on a fresh 1.6 (the series\' CouchDB), then serve as the app user answers the seed\'s curl session', async () => {
    const double = await startCouchDouble({ version: '1.6.1', admins: {} })
    cleanups.push(async () => await double.close())
    const boot = runOvermind(['bootstrap'], bootstrapEnv(double.url, { COUCHDB_APP_USERNAME: 'overmind', COUCHDB_APP_PASSWORD: APP_PASSWORD }))
    assert.equal(await boot.exited, 0, boot.output())
    const serve = await startServe({ COUCHDB_URL: double.url, COUCHDB_USERNAME: 'overmind', COUCHDB_PASSWORD: APP_PASSWORD })
    cleanups.push(async () => await serve.kill())
    await replaySeedSession(serve.baseUrl)
  })

  it('when serve --bootstrap starts on a fresh 3.4, then it bootstraps first and answers the seed\'s curl session; the password is not printed', async () => {
    const double = await startCouchDouble({ version: '3.4.3', admins: { [ADMIN]: ADMIN_PASSWORD }, systemDatabases: false })
    cleanups.push(async () => await double.close())
    const { COUCHDB_URL, COUCHDB_USERNAME, COUCHDB_PASSWORD } = bootstrapEnv(double.url)
    const serve = runOvermind(['serve', '--bootstrap'], { OVERMIND_HTTP_ADDR: '127.0.0.1:0', COUCHDB_URL, COUCHDB_USERNAME, COUCHDB_PASSWORD })
    cleanups.push(async () => await serve.kill())
    await replaySeedSession(await listeningAt(serve))
    assert.match(serve.output(), /^database\s+created\s/m)
    assert.equal(serve.output().includes(ADMIN_PASSWORD), false)
  })
})

/** startServe's wait, for a serve started with extra flags. */
async function listeningAt (serve: OvermindProcess, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(serve.output())
    if (match !== null) return match[1]!
    const exited = await Promise.race([serve.exited, new Promise((resolve) => setTimeout(resolve, 50, undefined))])
    if (exited !== undefined) throw new Error(`overmind serve exited (${String(exited)}) before listening:\n${serve.output()}`)
  }
  throw new Error(`overmind serve did not listen within ${timeoutMs} ms:\n${serve.output()}`)
}
