// Issue 11, cases 3 and 4 over HTTP: when the embedded store's files turn out damaged at run time,
// clients get 503s whose reason names the embedded store (not CouchDB) and no zergling reads as
// missing, `/readyz` takes the pod out of rotation with that reason, and `/_health` says so.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { createApp } from '../../src/http/app.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import { buildEmbeddedDirectory, damage } from '../support/embedded-files.js'

const DAMAGED = /^The embedded store's files are damaged/

describe('when a table of the embedded store rotted under a running service', () => {
  let app: FastifyInstance
  let dataDir: string
  let ids: string[]
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'overmind-http-damage-'))
    ids = await buildEmbeddedDirectory(dataDir, 'zerglings', 300)
    await damage(join(dataDir, 'zerglings'), 'table rotten')
    app = await createApp({ store: await createPouchStore({ dataDir, database: 'zerglings' }) })
  })
  after(async () => {
    await app.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('then reading its zerglings answers 200 or 503 brain_damaged naming the embedded store, never 404', async () => {
    const statuses = new Map<number, number>()
    for (const id of ids) {
      const response = await app.inject({ method: 'GET', url: `/zerglings/${id}` })
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
      if (response.statusCode === 503) {
        assert.equal(response.json().error, 'brain_damaged')
        assert.match(response.json().reason, DAMAGED)
        assert.ok(Number(response.headers['retry-after']) > 0)
      }
    }
    assert.equal(statuses.get(404), undefined, `no zergling reads as missing: ${JSON.stringify([...statuses])}`)
    assert.ok((statuses.get(503) ?? 0) > 0, `the damage was read: ${JSON.stringify([...statuses])}`)
  })

  // GET answers a zergling read lately from memory (pouch-store.ts); not once the store stopped.
  it('then a zergling that was read before the damage was found answers 503 too, not what the store remembered of it', async () => {
    for (const id of ids.slice(0, 20)) {
      const response = await app.inject({ method: 'GET', url: `/zerglings/${id}` })
      assert.equal(response.statusCode, 503, id)
      assert.equal(response.json().error, 'brain_damaged')
    }
  })

  it('then /readyz answers 503 with the reason, /_health says the brain is damaged, and /livez stays 200', async () => {
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    assert.equal(ready.statusCode, 503)
    assert.match(ready.json().reason, DAMAGED)
    assert.equal((await app.inject({ method: 'GET', url: '/_health' })).json().health.brain, 'damaged')
    assert.equal((await app.inject({ method: 'GET', url: '/livez' })).statusCode, 200)
  })

  it('then listing, spawning and commands answer 503 too: a damaged store serves nothing', async () => {
    for (const [method, url, payload] of [['GET', '/zerglings/', undefined], ['POST', '/zerglings/', undefined], ['POST', `/zerglings/${ids[0]}`, '"M"']] as const) {
      const response = await app.inject({ method, url, payload })
      assert.equal(response.statusCode, 503, `${method} ${url}`)
      assert.match(response.json().reason, DAMAGED)
    }
  })
})
