// The web map's files as the service serves them: the page at `/` naming its replica (escaped),
// under the same security headers as every answer, its scripts and styles under /map/, and
// nothing else there.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { createApp } from '../../src/http/app.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

describe('the web map\'s files', () => {
  let app: FastifyInstance
  let dataDir: string
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'overmind-page-'))
    app = await createApp({ store: await createPouchStore({ dataDir, database: 'zerglings' }), replica: 'pod-<7>&"x"' })
  })
  after(async () => {
    await app.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('when / is asked for, then it is the page, naming the replica that served it, escaped, with the strict security headers', async () => {
    const page = await app.inject({ method: 'GET', url: '/' })
    assert.equal(page.statusCode, 200)
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8')
    assert.match(page.body, /page from <b id="page-replica">pod-&lt;7&gt;&amp;&quot;x&quot;<\/b>/)
    assert.ok(!page.body.includes('{{replica}}'))
    const csp = String(page.headers['content-security-policy'])
    assert.match(csp, /default-src 'self'/)
    assert.match(csp, /script-src 'self'/)
    assert.equal(page.headers['x-content-type-options'], 'nosniff')
    // Nothing from another origin: every src and href is a path on this service.
    const links = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, link]) => link!)
    assert.ok(links.length >= 3 && links.every((link) => link.startsWith('/map/')), links.join(' '))
    assert.ok(!/<script(?![^>]*\bsrc=)/.test(page.body) && !/\sstyle=/.test(page.body), 'no inline script or style')
  })

  it('when the page\'s files are asked for, then they come with their types and validators, and nothing else is served under /map/', async () => {
    const script = await app.inject({ method: 'GET', url: '/map/main.js' })
    assert.equal(script.statusCode, 200)
    assert.match(String(script.headers['content-type']), /^(text|application)\/javascript/)
    assert.ok(script.headers.etag !== undefined)
    const again = await app.inject({ method: 'GET', url: '/map/main.js', headers: { 'if-none-match': String(script.headers.etag) } })
    assert.equal(again.statusCode, 304)
    assert.match(String((await app.inject({ method: 'GET', url: '/map/map.css' })).headers['content-type']), /^text\/css/)
    for (const url of ['/map/../package.json', '/map/nothing.js', '/map/', '/index.html']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 404, url)
    }
  })
})
