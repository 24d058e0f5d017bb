// Replays the CouchDB 3.4.3 recordings (test/fixtures/couchdb-3.4) against a fresh double per
// scenario and checks each answer: status, error bodies, the fields clients read, key headers.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startCouchDouble, type CouchDouble } from './index.js'
import { send, REPLAY_PASSWORDS, type RecordedRequest, type ReplaySession } from './replay-client.js'
import { compareResponse, type ActualResponse, type RecordedResponse } from './replay-compare.js'
import { createIdMap } from './replay-ids.js'

interface Step {
  note: string
  request: RecordedRequest
  response: RecordedResponse
  waitBeforeMs?: number
  concurrent?: { role: 'waiter' | 'writer', waitAfterPreviousSentMs?: number }
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
}

const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.json')).sort()

for (const file of files) {
  const scenario = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as { steps: Step[] }
  describe(`replaying ${file} against the double`, { skip: SKIPPED_FILES[file] }, () => {
    let double: CouchDouble
    const session: ReplaySession = {}
    let pendingWaiter: Promise<ActualResponse> | undefined
    const ids = createIdMap()
    /** Learns the double's revs/ids from an answer, then compares it with the recorded one. */
    const check = (expected: RecordedResponse, actual: ActualResponse, docId?: string): string[] => {
      let body: unknown
      try { body = JSON.parse(actual.text) } catch { body = undefined }
      ids.learn(expected.body, body)
      ids.learnEtag(expected.headers.etag, actual.headers.etag, docId)
      const translated = expected.bodyFormat === 'json' ? { ...expected, body: JSON.parse(ids.translate(JSON.stringify(expected.body))) } : expected
      return compareResponse(translated, actual)
    }
    /** The document a request is about: the path segment after the database. */
    const docIdOf = (request: RecordedRequest): string | undefined => {
      const segment = request.path.split('?')[0].split('/')[2]
      return segment === undefined ? undefined : decodeURIComponent(segment)
    }

    before(async () => {
      double = await startCouchDouble({
        version: '3.4.3',
        admins: { admin: REPLAY_PASSWORDS.admin },
        systemDatabases: !file.startsWith('system-dbs'),
        // config-admins.json shows CouchDB 3's delay before a freshly set admin works.
        adminActivationDelayMs: file === 'config-admins.json' ? 150 : 0,
      })
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
          pendingWaiter = send(double.url, step.request, session, (text) => ids.translate(text, docIdOf(step.request)))
          const writer = scenario.steps[index + 1]
          await sleep(writer.concurrent?.waitAfterPreviousSentMs ?? 300)
          const written = await send(double.url, writer.request, session, (text) => ids.translate(text, docIdOf(writer.request)))
          assert.deepEqual(check(writer.response, written, docIdOf(writer.request)), [], 'the concurrent write')
          actual = await pendingWaiter
        } else if (step.concurrent?.role === 'writer') {
          assert.ok(pendingWaiter !== undefined, 'the longpoll step before it ran and sent this write')
          return
        } else {
          actual = await send(double.url, step.request, session, (text) => ids.translate(text, docIdOf(step.request)))
        }
        assert.deepEqual(check(step.response, actual, docIdOf(step.request)), [])
      })
    })
  })
}
