// createDatabase's answers to what CouchDB says, including what the double cannot produce
// (the `500 conflict` some 2.x/3.x clusters answer to racing creates), with a scripted client.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { CouchClient, CouchResponse } from '../../src/bootstrap/couch-client.js'
import { createDatabase } from '../../src/bootstrap/databases.js'
import { BootstrapError } from '../../src/bootstrap/bootstrap-error.js'

/** Answers each request with the next scripted response (an Error = the connection broke). */
function scripted (...answers: Array<CouchResponse | Error>): CouchClient & { calls: string[] } {
  const calls: string[] = []
  return {
    url: 'http://couch:5984',
    calls,
    async request (method, path) {
      calls.push(`${method} ${path}`)
      const answer = answers.shift()
      if (answer === undefined) throw new Error(`unexpected ${method} ${path}`)
      if (answer instanceof Error) throw answer
      return answer
    }
  }
}

describe('createDatabase', () => {
  it('when CouchDB answers 201 or 202, then it was created', async () => {
    assert.equal(await createDatabase(scripted({ status: 201, body: { ok: true } }), 'zerglings', 'anonymous'), 'created')
    assert.equal(await createDatabase(scripted({ status: 202, body: { ok: true } }), 'zerglings', 'anonymous'), 'created')
  })

  it('when CouchDB answers 412 file_exists, then it existed, without another request', async () => {
    const couch = scripted({ status: 412, body: { error: 'file_exists', reason: 'The database could not be created, the file already exists.' } })
    assert.equal(await createDatabase(couch, 'zerglings', 'anonymous'), 'existed')
    assert.deepEqual(couch.calls, ['PUT /zerglings'])
  })

  it('when a racing create answers 500 conflict and HEAD finds the database, then it existed', async () => {
    const couch = scripted({ status: 500, body: { error: 'error', reason: 'conflict' } }, { status: 200, body: undefined })
    assert.equal(await createDatabase(couch, 'zerglings', 'anonymous'), 'existed')
    assert.deepEqual(couch.calls, ['PUT /zerglings', 'HEAD /zerglings'])
  })

  it('when a 500 is not explained by HEAD, then it fails with CouchDB\'s reason', async () => {
    const couch = scripted({ status: 500, body: { error: 'error', reason: 'no_majority' } }, { status: 404, body: undefined })
    await assert.rejects(createDatabase(couch, 'zerglings', 'anonymous'), /could not create database zerglings \(500 error: no_majority\)/)
  })

  it('when the answer to the PUT is lost but the database is there, then it existed', async () => {
    const couch = scripted(new BootstrapError('socket hang up'), { status: 200, body: undefined })
    assert.equal(await createDatabase(couch, 'zerglings', 'anonymous'), 'existed')
  })

  it('when the user is not a server admin (401, as CouchDB says to non-admins), then it fails saying so', async () => {
    const couch = scripted({ status: 401, body: { error: 'unauthorized', reason: 'You are not a server admin.' } })
    await assert.rejects(createDatabase(couch, 'zerglings', 'anonymous'), /refused to create database zerglings \(401 unauthorized: You are not a server admin\.\): COUCHDB_USERNAME/)
  })
})
