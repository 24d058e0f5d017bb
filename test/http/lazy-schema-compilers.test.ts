// Each route's schemas are compiled on its first request, not while the service starts
// (src/http/lazy-schema-compilers.ts): the start reads neither Ajv nor fast-json-stringify, the
// answers are Fastify's own (validation, coercion, defaults, serialisation), and every schema of
// every configuration still compiles, so none can first fail on a user's request.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import type { CreateAppOptions } from '../../src/http/app.js'
import { lazySchemaCompilers } from '../../src/http/lazy-schema-compilers.js'
import { fixedToken } from '../../src/token-file.js'
import { startEmbeddedApp } from '../support/embedded-app.js'

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

  it('when the same odd requests go to an app compiling on first use and to one compiling before ready, then both answer each with the same status and body', async () => {
    // Validation errors (their messages are Ajv's), numbers sent as text, repeated parameters,
    // bodies the command parser refuses, answers serialised by their schemas.
    const requests = (id: string): Array<{ method: 'GET' | 'POST', url: string, payload?: string }> => [
      { method: 'POST', url: `/zerglings/${id}`, payload: '"LMM"' },
      { method: 'POST', url: `/zerglings/${id}`, payload: '["M"]' },
      { method: 'POST', url: `/zerglings/${id}?history=x`, payload: '"M"' },
      { method: 'GET', url: '/zerglings/?limit=1' },
      { method: 'GET', url: '/zerglings/?limit=abc' },
      { method: 'GET', url: '/zerglings/?limit=3&limit=4' },
      { method: 'GET', url: '/zerglings/?limit=1&bogus=1' },
      { method: 'GET', url: `/zerglings/${id}?history=2` },
      { method: 'GET', url: `/zerglings/${id}/history?limit=2` },
      { method: 'GET', url: `/zerglings/${id}/history?limit=0` },
      { method: 'GET', url: '/readyz' }
    ]
    const answers = async (compileSchemas: CreateAppOptions['compileSchemas']): Promise<string[]> => {
      const app = await startEmbeddedApp(undefined, { compileSchemas })
      try {
        const { id } = (await app.app.inject({ method: 'POST', url: '/zerglings/' })).json<{ zergling: { id: string } }>().zergling
        const seen: string[] = []
        for (const request of requests(id)) {
          const answer = await app.app.inject({ ...request, headers: { 'content-type': 'application/json' } })
          // The zergling's id and revision are the only parts that differ between two stores.
          seen.push(`${request.method} ${request.url.replace(id, '{id}')} → ${answer.statusCode} ${answer.body.replaceAll(id, '{id}').replace(/"_rev":"[^"]+"/g, '"_rev":"…"')}`)
        }
        return seen
      } finally {
        await app.close()
      }
    }
    const lazily = await answers('on first use')
    assert.deepEqual(lazily, await answers('before ready'))
    assert.ok(lazily.some((line) => line.includes('→ 400 {"error":"bad_request"')), 'some requests were refused by validation')
  })

  it('when a schema makes Ajv change a root value (coerceTypes "array": a lone string becomes an array), then a validator compiled on first use does it too', async () => {
    // Fastify hands Ajv the parent object only for a validator that shows Ajv's `schemaEnv`.
    const echo = async (lazy: boolean): Promise<unknown> => {
      const app = Fastify(lazy ? { schemaController: { compilersFactory: lazySchemaCompilers } } : {})
      app.post('/', { schema: { body: { type: 'array', items: { type: 'string' } } } }, async (request) => ({ body: request.body }))
      try {
        return (await app.inject({ method: 'POST', url: '/', payload: '"M"', headers: { 'content-type': 'application/json' } })).json()
      } finally {
        await app.close()
      }
    }
    assert.deepEqual(await echo(false), { body: ['M'] })
    assert.deepEqual(await echo(true), { body: ['M'] })
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
