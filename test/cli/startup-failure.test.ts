// The sentences `overmind serve` prints for start-up failures it recognises (the process tests in
// serve.test.ts cover the ones a test can cause as any user; these cover the rest).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { explainStartupFailure } from '../../src/cli/startup-failure.js'
import { loadConfig } from '../../src/config.js'

const embedded = loadConfig({ OVERMIND_HTTP_ADDR: '0.0.0.0:80', OVERMIND_DATA_DIR: '/srv/overmind' })
const couchdb = loadConfig({ OVERMIND_HTTP_ADDR: ':8080', COUCHDB_URL: 'http://couchdb:5984' })
const systemError = (code: string, syscall: string): Error => Object.assign(new Error(`${syscall} ${code}`), { code, syscall })

describe('start-up failure sentences', () => {
  it('when the data directory cannot be created for lack of permission, then the sentence names OVERMIND_DATA_DIR and the fix', () => {
    assert.match(explainStartupFailure(systemError('EACCES', 'mkdir'), embedded) ?? '', /^OVERMIND_DATA_DIR \/srv\/overmind cannot be created or written by this user/)
  })

  it('when the failure is wrapped in the store\'s own error, then its cause is recognised', () => {
    const wrapped = new Error('The embedded store could not open: …', { cause: new Error('IO error: /srv/overmind/zerglings/LOCK: Read-only file system') })
    assert.match(explainStartupFailure(wrapped, embedded) ?? '', /read-only file system/)
  })

  it('when a port below 1024 is refused, then the sentence says to pick another with OVERMIND_HTTP_ADDR', () => {
    assert.match(explainStartupFailure(systemError('EACCES', 'listen'), embedded) ?? '', /may not listen on 0\.0\.0\.0:80.*OVERMIND_HTTP_ADDR/)
  })

  it('when the metrics port (OVERMIND_METRICS_ADDR) is taken, then the sentence names that variable, not OVERMIND_HTTP_ADDR', () => {
    const withMetrics = loadConfig({ OVERMIND_HTTP_ADDR: ':8080', OVERMIND_METRICS_ADDR: ':9090' })
    const taken = (port: number): Error => Object.assign(systemError('EADDRINUSE', 'listen'), { port })
    assert.match(explainStartupFailure(taken(9090), withMetrics) ?? '', /^OVERMIND_METRICS_ADDR 0\.0\.0\.0:9090 cannot be listened on \(EADDRINUSE\)/)
    assert.match(explainStartupFailure(taken(8080), withMetrics) ?? '', /OVERMIND_HTTP_ADDR/)
  })

  it('when the failure is one it does not know, or a data-directory error with CouchDB configured, then it has no sentence (the caller shows the error)', () => {
    assert.equal(explainStartupFailure(new Error('something else'), embedded), undefined)
    assert.equal(explainStartupFailure(systemError('EACCES', 'mkdir'), couchdb), undefined)
  })
})
