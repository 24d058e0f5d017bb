// Each route's schemas are compiled on its first request, not while the service starts
// (src/http/lazy-schema-compilers.ts): the start reads neither Ajv nor fast-json-stringify, the
// answers are Fastify's own (validation, coercion, defaults, serialisation), and every schema of
// every configuration still compiles, so none can first fail on a user's request.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { CreateAppOptions } from '../../src/http/app.js'
import { fixedToken } from '../../src/token-file.js'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** In a child, the built app on a fresh embedded store: which compiler modules are loaded when it is ready, and after a few requests. */
const CHILD = `
import { createRequire } from 'node:module'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const { createApp } = await import('./dist/http/app.js')
const { createPouchStore } = await import('./dist/store/pouch-store.js')
const store = await createPouchStore({ dataDir: mkdtempSync(join(tmpdir(), 'overmind-lazy-')), database: 'zerglings' })
const app = await createApp({ store })
await app.ready()
// Fastify's own error serialiser is precompiled: it reads fast-json-stringify's small runtime
// (lib/serializer.js) at its start, never the compiler (index.js), nor Ajv.
const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((file) => /node_modules\\/(ajv\\/|fast-json-stringify\\/index\\.js)/.test(file)).length > 0
const atReady = loaded()
const spawned = await app.inject({ method: 'POST', url: '/zerglings/' })
const bad = await app.inject({ method: 'GET', url: '/zerglings/?limit=0' })
const page = await app.inject({ method: 'GET', url: '/zerglings/' })
console.log(JSON.stringify({ atReady, afterRequests: loaded(), spawned: spawned.statusCode, bad: [bad.statusCode, bad.json().error], page: page.statusCode }))
await app.close()
await store.close()
`

describe('schemas compiled on first use', () => {
  it('when the built app is ready, then it has loaded neither Ajv nor fast-json-stringify, and its first requests are validated and answered as before', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
    assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)!), { atReady: false, afterRequests: true, spawned: 201, bad: [400, 'bad_request'], page: 200 })
  })

  describe('the same app, its first requests', () => {
    let embedded: EmbeddedApp
    before(async () => { embedded = await startEmbeddedApp() })
    after(async () => { await embedded.close() })

    it('when a query omits a parameter with a default or sends a number as text, then Ajv still defaults and coerces it (the list page is 100 long by default)', async () => {
      for (let i = 0; i < 101; i++) assert.equal((await embedded.app.inject({ method: 'POST', url: '/zerglings/' })).statusCode, 201)
      const page = (await embedded.app.inject({ method: 'GET', url: '/zerglings/' })).json<{ zerglings: unknown[], next?: string }>()
      assert.equal(page.zerglings.length, 100)
      assert.equal(typeof page.next, 'string')
      const three = (await embedded.app.inject({ method: 'GET', url: '/zerglings/?limit=3' })).json<{ zerglings: unknown[] }>()
      assert.equal(three.zerglings.length, 3)
    })
  })

  const settings: Array<[string, Omit<CreateAppOptions, 'store'>]> = [
    ['the defaults', {}],
    ['a rate limit and CORS', { policy: { corsOrigins: ['https://example.test'], rateLimitPerMinute: 600 } }],
    ['write and admin tokens', { apiToken: fixedToken('api-token'), adminToken: fixedToken('admin-token') }]
  ]
  for (const [setting, options] of settings) {
    it(`when every schema is compiled before ready, as Fastify does by itself (${setting}), then the app starts: no schema can first fail on a request`, async () => {
      const eager = await startEmbeddedApp(undefined, { ...options, compileSchemas: 'before ready' })
      try {
        await eager.app.ready()
        assert.equal((await eager.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
      } finally {
        await eager.close()
      }
    })
  }
})
