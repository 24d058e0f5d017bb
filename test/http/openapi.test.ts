// /openapi.json as client generators and linters take it: Redocly's `recommended` rules, an
// operationId, summary and tag on every operation, only statuses it can answer, each described,
// optional parameters optional, and the headers the API sends.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { fixedToken } from '../../src/token-file.js'
import { startEmbeddedApp, type EmbeddedApp } from '../support/embedded-app.js'

interface Operation {
  operationId?: string
  summary?: string
  tags?: string[]
  parameters: Array<{ name?: string, in?: string, required?: boolean, $ref?: string }>
  responses: Record<string, { description: string, headers?: Record<string, unknown> }>
}
type Document = { paths: Record<string, Record<string, Operation>> } & Record<string, unknown>

/**
 * The warnings left, each on purpose: the probes and /_health can answer no 4xx at all (nothing
 * they take can be wrong, and the rate limit never counts them), and Redocly's
 * `operation-4xx-response` would have them list one anyway.
 */
const KNOWN_WARNINGS = ['/_health', '/livez', '/readyz'].map((path) => `operation-4xx-response #/paths/${path.replace('/', '~1')}/get/responses`)

async function readDocument (app: EmbeddedApp['app']): Promise<Document> {
  return (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
}

function operations (document: Document): Array<[string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]))
}

describe('the OpenAPI document', () => {
  let plain: EmbeddedApp
  let limited: EmbeddedApp
  let guarded: EmbeddedApp
  before(async () => {
    plain = await startEmbeddedApp()
    limited = await startEmbeddedApp(undefined, { policy: { corsOrigins: [], rateLimitPerMinute: 600 } })
    guarded = await startEmbeddedApp(undefined, { apiToken: fixedToken('api-token'), adminToken: fixedToken('admin-token') })
  })
  after(async () => {
    await plain.close()
    await limited.close()
    await guarded.close()
  })

  for (const setting of ['without a rate limit', 'with a rate limit', 'with write and admin tokens'] as const) {
    it(`when it is linted with Redocly's recommended rules (${setting}), then there is no error and no warning but the known ones`, async () => {
      const document = await readDocument(setting === 'with a rate limit' ? limited.app : setting === 'without a rate limit' ? plain.app : guarded.app)
      const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config: await createConfig({ extends: ['recommended'] }) })
      const found = problems.map((problem) => `${problem.ruleId} ${problem.location[0]?.pointer ?? ''}${problem.severity === 'error' ? ` (error: ${problem.message})` : ''}`)
      assert.deepEqual(found.sort(), [...KNOWN_WARNINGS].sort())
    })
  }

  it('when read, then every operation has a unique camelCase operationId, a summary, a tag and a description for each status', async () => {
    const all = operations(await readDocument(plain.app))
    assert.ok(all.length >= 11)
    const ids = all.map(([, operation]) => operation.operationId)
    assert.equal(new Set(ids).size, ids.length)
    for (const [name, operation] of all) {
      assert.match(operation.operationId ?? '', /^[a-z][a-zA-Z]+$/, name)
      assert.ok(operation.summary !== undefined && operation.tags?.length === 1, name)
      for (const [status, response] of Object.entries(operation.responses)) assert.notEqual(response.description, 'Default Response', `${name} ${status}`)
    }
  })

  it('when write and admin tokens are configured, then every write and the drain switch name their bearer scheme and document 401, and reads name none', async () => {
    const document = await readDocument(guarded.app) as Document & { components: { securitySchemes?: Record<string, { type: string, scheme: string }> } }
    assert.deepEqual(Object.keys(document.components.securitySchemes ?? {}).sort(), ['adminToken', 'apiToken'])
    for (const [name, operation] of operations(document) as Array<[string, Operation & { security?: Array<Record<string, string[]>> }]>) {
      const expected = name.includes('/readyz/') ? 'adminToken' : name.startsWith('GET ') ? undefined : 'apiToken'
      assert.deepEqual(operation.security?.flatMap(Object.keys), expected === undefined ? undefined : [expected], name)
      if (expected !== undefined) assert.match(operation.responses['401']?.description ?? '', /^Unauthorized/, name)
      for (const [status, response] of Object.entries(operation.responses)) assert.notEqual(response.description, 'Default Response', `${name} ${status}`)
    }
    assert.equal((await readDocument(plain.app) as unknown as { components: Record<string, unknown> }).components.securitySchemes, undefined, 'no scheme without a token')
  })

  it('when read, then each operation lists only the statuses it can answer', async () => {
    const statuses = Object.fromEntries(operations(await readDocument(plain.app)).map(([name, operation]) => [name, Object.keys(operation.responses).join(' ')]))
    assert.deepEqual(statuses, {
      'GET /_health': '200',
      'GET /livez': '200',
      'GET /readyz': '200 503',
      'GET /zerglings/_changes': '200 400 500 503',
      'POST /zerglings': '201 400 413 500 503',
      'GET /zerglings': '200 400 500 503',
      'GET /zerglings/{id}': '200 304 400 404 500 503',
      'POST /zerglings/{id}': '200 400 404 412 413 422 500 503',
      'DELETE /zerglings/{id}': '200 400 404 412 500 503',
      'GET /zerglings/{id}/history': '200 400 404 500 503',
      'POST /zerglings/{id}/_action': '200 400 404 412 413 422 500 503'
    })
  })

  it('when a rate limit is configured, then every operation it counts documents 429 with Retry-After, and the probes do not', async () => {
    for (const [name, operation] of operations(await readDocument(limited.app))) {
      const counted = !['GET /_health', 'GET /livez', 'GET /readyz'].includes(name)
      assert.equal(operation.responses['429'] !== undefined, counted, name)
      if (counted) assert.ok(operation.responses['429']!.headers?.['retry-after'], name)
    }
  })

  it('when read, then only the path id is required, and the headers the API reads and sends are described', async () => {
    const document = await readDocument(plain.app)
    for (const [name, operation] of operations(document)) {
      for (const parameter of operation.parameters.filter((p) => p.$ref === undefined)) assert.equal(parameter.required === true, parameter.in === 'path', `${name} ${parameter.name ?? ''}`)
      assert.ok(operation.parameters.some((p) => p.$ref === '#/components/parameters/RequestId'), `${name} takes X-Request-Id`)
      for (const response of Object.values(operation.responses)) assert.ok(response.headers?.['x-request-id'], `${name} answers X-Request-Id`)
    }
    const headersOf = (path: string, method: string, status: string): string[] => Object.keys(document.paths[path]![method]!.responses[status]!.headers ?? {}).sort()
    assert.deepEqual(headersOf('/zerglings', 'post', '201'), ['etag', 'idempotent-replayed', 'location', 'x-request-id'])
    assert.deepEqual(headersOf('/zerglings/{id}', 'post', '200'), ['etag', 'idempotent-replayed', 'link', 'x-request-id'])
    assert.deepEqual(headersOf('/zerglings/{id}', 'get', '304'), ['etag', 'x-request-id'])
    assert.deepEqual(headersOf('/zerglings/{id}', 'post', '412'), ['etag', 'x-request-id'])
    assert.deepEqual(headersOf('/zerglings/{id}', 'delete', '503'), ['retry-after', 'x-request-id'])
    const inputs = (path: string, method: string): string[] => document.paths[path]![method]!.parameters.flatMap((p) => p.name === undefined ? [] : [`${p.in ?? ''}:${p.name}`]).sort()
    assert.deepEqual(inputs('/zerglings/{id}', 'post'), ['header:idempotency-key', 'header:if-match', 'path:id', 'query:history'])
    assert.deepEqual(inputs('/zerglings/{id}', 'get'), ['header:if-none-match', 'path:id', 'query:history'])
  })
})
