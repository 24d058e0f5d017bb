// Replays the CouchDB 3.4.3 recordings (test/fixtures/couchdb-3.4) against a fresh double per
// scenario and checks each answer: status, error bodies, the fields clients read, key headers.
// cluster-admins.json goes to a 3-node 'fresh' double, each step to the node it was sent to.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startCouchDouble, type CouchDouble, type CouchDoubleOptions } from './index.js'
import { send, REPLAY_PASSWORDS, type RecordedRequest, type ReplaySession } from './replay-client.js'
import { compareResponse, type ActualResponse, type RecordedResponse } from './replay-compare.js'
import { createIdMap } from './replay-ids.js'
import { createLabelMap } from './replay-labels.js'

interface Step {
  note: string
  request: RecordedRequest & { node?: string }
  response: RecordedResponse
  waitBeforeMs?: number
  concurrent?: { role: 'waiter' | 'writer', waitAfterPreviousSentMs?: number }
  /** cluster-admins: the value read equals node 1's current one (null: not set on that node). */
  equalToNode1?: boolean | null
}

const FIXTURES = new URL('../../fixtures/couchdb-3.4/', import.meta.url)

/** Whole scenarios not replayed, and why. */
const SKIPPED_FILES: Record<string, string> = {
  'users-race.json': 'timing-dependent: it documents one race between PUT /_users and the automatic creation at startup, not a rule',
}

/**
 * Steps the double deliberately answers differently, and why (keep this short).
 * Keyed "file#step".
 */
const SKIPPED_STEPS: Record<string, string> = {
  // CouchDB 3.4.3 answers 500 {"error":"error","reason":"no_majority"}; its documented answer for a
  // member writing _security is 403 forbidden, which the double gives.
  'auth-security.json#25': '3.4.3 bug: 500 no_majority where the docs promise 403',
  // CouchDB caches authenticated users for a while, so a just-deleted user still logs in; the
  // double forgets a deleted user at once, as the docs describe.
  'auth-security.json#36': 'CouchDB auth cache keeps a deleted user usable for a while',
  // CouchDB orders a descending feed by shard: its "newest" was c4 although c3's deletion came
  // later. The double has one sequence and answers c3's deletion (the newest change).
  'changes.json#18': 'descending order follows CouchDB shard layout',
  // The seeds' replication status (timestamps, entries still empty) is the seedlist's progress.
  'cluster-admins.json#1': '/_up seeds show the seedlist replication progress of that moment',
}

/** The double each scenario needs (README: "instance it needs"). */
function doubleOptions (file: string): CouchDoubleOptions {
  if (file === 'cluster-admins.json') return { nodes: 3, cluster: 'fresh' }
  return {
    systemDatabases: !file.startsWith('system-dbs'),
    // config-admins.json shows CouchDB 3's delay before a freshly set admin works.
    adminActivationDelayMs: file === 'config-admins.json' ? 150 : 0,
  }
}

/** `request.node`: node1 → the double's node 0 (absent = node 1). */
const nodeIndex = (step: Step): number => step.request.node === undefined ? 0 : Number(step.request.node.replace('node', '')) - 1

const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.json')).sort()

for (const file of files) {
  const scenario = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as { steps: Step[] }
  describe(`replaying ${file} against the double`, { skip: SKIPPED_FILES[file] }, () => {
    let double: CouchDouble
    const session: ReplaySession = {}
    let pendingWaiter: Promise<ActualResponse> | undefined
    const ids = createIdMap()
    const labels = createLabelMap()
    /** Learns the double's revs/ids/labels from an answer, then compares it with the recorded one. */
    const check = (expected: RecordedResponse, actual: ActualResponse, request: RecordedRequest, docId?: string): string[] => {
      let body: unknown
      try { body = JSON.parse(actual.text) } catch { body = undefined }
      if (request.path === '/_membership') labels.learnNodes(expected.body, body)
      const broken = labels.learn(expected.body, body, request.path)
      ids.learn(expected.body, body)
      ids.learnEtag(expected.headers.etag, actual.headers.etag, docId)
      const translated = expected.bodyFormat === 'json'
        ? { ...expected, body: JSON.parse(labels.translate(ids.translate(JSON.stringify(expected.body)))) }
        : expected
      return [...broken, ...compareResponse(translated, actual)]
    }
    const sendStep = async (step: Step): Promise<ActualResponse> =>
      await send(double.urls[nodeIndex(step)], step.request, session, (text) => labels.translate(ids.translate(text, docIdOf(step.request))))
    /** The document a request is about: the path segment after the database. */
    const docIdOf = (request: RecordedRequest): string | undefined => {
      const segment = request.path.split('?')[0].split('/')[2]
      return segment === undefined ? undefined : decodeURIComponent(segment)
    }

    before(async () => {
      double = await startCouchDouble({ version: '3.4.3', admins: { admin: REPLAY_PASSWORDS.admin }, ...doubleOptions(file) })
    })
    after(async () => { await double.close() })

    scenario.steps.forEach((step, index) => {
      const { method, path } = step.request
      const shownPath = path.length > 80 ? `${path.slice(0, 60)}…(${path.length} chars)` : path
      const name = `step ${index} (${method} ${shownPath}) answers as CouchDB 3.4.3 did: ${step.note}`
      const skip = SKIPPED_STEPS[`${file}#${index}`]
      test(name, { skip }, async () => {
        if (step.waitBeforeMs !== undefined) await sleep(step.waitBeforeMs)
        let actual: ActualResponse
        if (step.concurrent?.role === 'waiter') {
          // Sent now, answered after the next step's write: checked here once that write is done.
          pendingWaiter = sendStep(step)
          const writer = scenario.steps[index + 1]
          await sleep(writer.concurrent?.waitAfterPreviousSentMs ?? 300)
          const written = await sendStep(writer)
          assert.deepEqual(check(writer.response, written, writer.request, docIdOf(writer.request)), [], 'the concurrent write')
          actual = await pendingWaiter
        } else if (step.concurrent?.role === 'writer') {
          assert.ok(pendingWaiter !== undefined, 'the longpoll step before it ran and sent this write')
          return
        } else {
          actual = await sendStep(step)
        }
        assert.deepEqual(check(step.response, actual, step.request, docIdOf(step.request)), [])
        if (step.equalToNode1 !== undefined) assertEqualToNode1(double, step, actual)
      })
    })
  })
}

/** `equalToNode1`: the config value read (`/_node/<name>/_config/<section>/<key>`) against node 1's own. */
function assertEqualToNode1 (double: CouchDouble, step: Step, actual: ActualResponse): void {
  const [section, key] = step.request.path.split('/_config/')[1].split('/').map(decodeURIComponent)
  const nodeOne = double.nodeConfig(0, section, key)
  if (step.equalToNode1 === null) {
    assert.equal(actual.status, 404, 'not set on that node')
    return
  }
  const read = JSON.parse(actual.text) as unknown
  assert.equal(read === nodeOne, step.equalToNode1, `equal to node 1's ${section}/${key}`)
}
