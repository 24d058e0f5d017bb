// The design-docs step changes a design document's views without a query waiting for a rebuild
// (couchmigrate's method, src/bootstrap/index-build.ts), on the double or on COUCHDB_TEST_URL's
// server. The queries use `update=false`: answered from the index as it stands, so a query
// reaching an index not built yet answers with no rows at all instead of waiting, and the test
// counts such answers instead of measuring time.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createCouchClient, type CouchClient } from '../../src/bootstrap/couch-client.js'
import { designDocsStep } from '../../src/bootstrap/steps/design-docs.js'
import { isChange, type StepContext } from '../../src/bootstrap/types.js'
import type { DesignDocument } from '../../src/store/design-docs.js'
import { adminHeaders } from '../support/original-shape.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'
import { stepContextOn } from './helpers.js'

const DOCS = 3000
const design = (emit: string): DesignDocument => ({ _id: '_design/probe', language: 'javascript', views: { by_n: { map: `function (doc) { if (typeof doc.n === 'number') { emit(${emit}, null); } }` } } })

describe('design-docs changes a view without query downtime (double, or COUCHDB_TEST_URL)', () => {
  let couch: TestCouch
  before(async () => { couch = await startTestCouch({ version: '3.4.3' }) })
  after(async () => { await couch.close() })

  /** A database of DOCS documents `{n}`. */
  async function seeded (): Promise<string> {
    const database = couch.uniqueDatabaseName('design-swap')
    const headers = adminHeaders(couch)
    await (await fetch(`${couch.url}/${database}`, { method: 'PUT', headers })).arrayBuffer()
    const docs = Array.from({ length: DOCS }, (_, n) => ({ _id: `doc-${String(n).padStart(5, '0')}`, n }))
    for (let start = 0; start < DOCS; start += 500) {
      const written = await fetch(`${couch.url}/${database}/_bulk_docs`, { method: 'POST', headers, body: JSON.stringify({ docs: docs.slice(start, start + 500) }) })
      assert.equal(written.status, 201)
      await written.arrayBuffer()
    }
    return database
  }

  async function deploy (context: StepContext, doc: DesignDocument): Promise<string> {
    const decision = await designDocsStep([doc]).check(context)
    return isChange(decision) ? (await decision.apply()).message : decision.message
  }

  it('when a view\'s map function changes under a query load, then every query answers from a built index throughout, the new index answers from the swap on, and the temporary document is gone', async () => {
    const database = await seeded()
    const headers = adminHeaders(couch)
    const logs: string[] = []
    const context = stepContextOn(couch, database, logs)
    await deploy(context, design('doc.n'))
    const view = `${couch.url}/${database}/_design/probe/_view/by_n`
    assert.equal((await (await fetch(`${view}?limit=0`, { headers })).json() as { total_rows: number }).total_rows, DOCS, 'the old index is built')

    // key 2 is doc 2 in the old index (emit n) and doc 1 in the new one (emit 2n).
    const answers: Array<{ total: number, id: string | undefined }> = []
    const swapping = { on: true }
    const load = (async () => {
      while (swapping.on) {
        const answer = await (await fetch(`${view}?update=false&key=2`, { headers })).json() as { total_rows: number, rows: Array<{ id: string }> }
        answers.push({ total: answer.total_rows, id: answer.rows[0]?.id })
      }
    })()
    const message = await deploy(context, design('doc.n * 2'))
    swapping.on = false
    await load

    assert.equal(message, 'wrote 1 design document(s): _design/probe.')
    assert.ok(answers.length > 0)
    assert.deepEqual(answers.filter((answer) => answer.total !== DOCS), [], 'no query met an index that was not built')
    const ids = answers.map((answer) => answer.id)
    const swappedAt = ids.indexOf('doc-00001')
    assert.ok(ids.every((id, i) => id === (i < swappedAt || swappedAt === -1 ? 'doc-00002' : 'doc-00001')), 'the old index until the swap, the new one after')
    const now = await (await fetch(`${view}?update=false&key=2`, { headers })).json() as { rows: Array<{ id: string }> }
    assert.equal(now.rows[0]?.id, 'doc-00001', 'the new index answers, already built')
    assert.equal((await fetch(`${couch.url}/${database}/_design/probe--building`, { headers })).status, 404, 'the temporary document is gone')
  })

  it('when the new views take longer to build than a request may wait, then it queries again and again, logging the build\'s progress from _active_tasks, and swaps once they are built', async () => {
    const database = await seeded()
    const logs: string[] = []
    const real = createCouchClient(couch.url, 10_000)
    let cut = 0
    // The first two queries of the temporary copy's view give up at once, as a long build outlasts a request's deadline.
    const impatient: CouchClient = {
      url: real.url,
      async request (method, path, options) {
        const give = path.includes('/_design/probe--building/_view/') && cut++ < 2
        return await real.request(method, path, give ? { ...options, timeoutMs: 1 } : options)
      }
    }
    const context = stepContextOn(couch, database, logs, impatient)
    await deploy(context, design('doc.n'))
    assert.equal(await deploy(context, design('doc.n * 2')), 'wrote 1 design document(s): _design/probe.')
    const progress = logs.filter((line) => line.startsWith('building the views of _design/probe under _design/probe--building: '))
    assert.equal(progress.length, 2, logs.join('\n'))
    for (const line of progress) assert.match(line, /: (\d+ % \(\d+ shard indexer\(s\)\)|waiting for the indexer)\.$/)
    assert.equal((await fetch(`${couch.url}/${database}/_design/probe--building`, { headers: adminHeaders(couch) })).status, 404)
  })
})
