// A conflicted zergling seen through the service: a partition is played with two databases of one
// CouchDB (the node cut off is the second one) and healed by replicating its documents back with
// `new_edits: false`, as CouchDB's internal replication does. The merge shows in the answer and in
// /metrics.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/http/server.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

describe('a zergling moved on both sides of a partition, read through the service', () => {
  let couch: TestCouch
  const servers: RunningServer[] = []
  let admin: (path: string, init?: RequestInit) => Promise<Response>

  async function serve (database: string): Promise<RunningServer> {
    const config = loadConfig({ OVERMIND_HTTP_ADDR: '127.0.0.1:0', COUCHDB_URL: couch.url, COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password, OVERMIND_DATABASE: database, OVERMIND_LOG_LEVEL: 'silent' })
    const server = await startServer(config)
    servers.push(server)
    return server
  }

  /** Every document of `from`, with its revision history, written into `to` as replication does. */
  async function replicate (from: string, to: string): Promise<void> {
    const { rows } = await (await admin(`/${from}/_all_docs`)).json() as { rows: Array<{ id: string }> }
    const docs = await Promise.all(rows.map(async ({ id }) => await (await admin(`/${from}/${encodeURIComponent(id)}?revs=true`)).json()))
    const written = await admin(`/${to}/_bulk_docs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ new_edits: false, docs }) })
    assert.equal(written.status, 201)
  }

  before(async () => {
    couch = await startTestCouch()
    const authorization = 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64')
    admin = async (path, init = {}) => await fetch(`${couch.url}${path}`, { ...init, headers: { authorization, ...init.headers } })
  })
  after(async () => {
    for (const server of servers) await server.shutdown()
    await couch.close()
  })

  it('when both sides took commands, then a GET answers every command of both once and overmind_conflict_merges_total moves', async () => {
    const [main, cutOff] = [couch.uniqueDatabaseName('merge-main'), couch.uniqueDatabaseName('merge-cut-off')]
    for (const name of [main, cutOff]) assert.equal((await admin(`/${name}`, { method: 'PUT' })).status, 201)
    const [here, there] = [await serve(main), await serve(cutOff)]
    const { zergling } = await (await fetch(`${here.address}/zerglings/`, { method: 'POST' })).json() as { zergling: { id: string } }
    await replicate(main, cutOff)
    for (const body of ['"M"', '"R"', '"M"']) assert.equal((await fetch(`${here.address}/zerglings/${zergling.id}`, { method: 'POST', body })).status, 200)
    assert.equal((await fetch(`${there.address}/zerglings/${zergling.id}`, { method: 'POST', body: '"LM"' })).status, 200)
    await replicate(cutOff, main)
    const conflicted = await (await admin(`/${main}/${zergling.id}?conflicts=true`)).json() as { _conflicts?: string[] }
    assert.equal(conflicted._conflicts?.length, 1, 'the heal made a conflict')

    const read = await (await fetch(`${here.address}/zerglings/${zergling.id}`)).json() as { zergling: { commandHistory: string[], location: { x: number, y: number }, facing: string } }
    assert.deepEqual(read.zergling.commandHistory.join(''), 'MRMLM', 'the winner (more writes) first, then the other side\'s commands')
    assert.deepEqual({ location: read.zergling.location, facing: read.zergling.facing }, { location: { x: 1, y: 2 }, facing: 'N' })
    const metrics = await (await fetch(`${here.address}/metrics`)).text()
    assert.match(metrics, /^overmind_conflict_merges_total 1$/m)
    const after = await (await admin(`/${main}/${zergling.id}?conflicts=true`)).json() as { _conflicts?: string[] }
    assert.equal(after._conflicts, undefined, 'no conflict is left')
  })
})
