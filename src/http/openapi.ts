// The OpenAPI document at /openapi.json (and /docs), generated from the routes' schemas by
// @fastify/swagger and finished here with what every operation shares: X-Request-Id, and the
// rate limit's 429 when one is configured. It is meant to be taken as it is by client generators
// (test/http/openapi-client.test.ts generates one and replays the seed's session through it) and
// to lint clean with Redocly's `recommended` rules (test/http/openapi.test.ts).
import type { SwaggerOptions } from '@fastify/swagger'
// The types @fastify/swagger's own are written in (it depends on openapi-types); types only.
import type { OpenAPIV3 } from 'openapi-types'
import { packageVersion } from '../version.js'
import { REQUEST_ID_HEADER } from './request-id.js'
import { ErrorBody } from './frozen-schemas.js'

export interface OpenApiOptions {
  /** Which documented paths the rate limit counts; undefined when there is no rate limit. */
  rateLimited?: (path: string) => boolean
  /** OVERMIND_API_TOKEN_FILE is set: every write needs `Authorization: Bearer` (write-protection.ts). */
  writesNeedToken?: boolean
  /** OVERMIND_ADMIN_TOKEN_FILE is set: the drain switch is served, behind its own token. */
  adminSwitch?: boolean
}

const REQUEST_ID = {
  parameter: {
    name: REQUEST_ID_HEADER,
    in: 'header',
    required: false,
    description: 'An id for this request, kept when it is 1 to 200 visible ASCII characters (else a new one is made): it is in every log line of the request and comes back on the answer.',
    schema: { type: 'string', maxLength: 200 }
  },
  header: {
    description: 'The request\'s id: the one sent, when acceptable, else a new UUID. Every log line of the request carries it (`reqId`).',
    schema: { type: 'string' }
  }
} satisfies { parameter: OpenAPIV3.ParameterObject, header: OpenAPIV3.HeaderObject }

const TOO_MANY_REQUESTS: OpenAPIV3.ResponseObject = {
  description: 'Too Many Requests: more requests from this address in a minute than the rate limit allows (counted per replica). Every answer of a rate-limited operation carries `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset`.',
  headers: {
    'retry-after': { description: 'Seconds until the limit lets requests from this address through again.', schema: { type: 'integer' } },
    'x-ratelimit-limit': { description: 'Requests allowed per minute.', schema: { type: 'integer' } },
    'x-ratelimit-remaining': { description: 'Requests left in this minute.', schema: { type: 'integer' } },
    'x-ratelimit-reset': { description: 'Seconds until the count starts again.', schema: { type: 'integer' } }
  },
  content: { 'application/json': { schema: ErrorBody as OpenAPIV3.SchemaObject } }
}

const UNAUTHORIZED: OpenAPIV3.ResponseObject = {
  description: 'Unauthorized: a write without `Authorization: Bearer <API token>` (OVERMIND_API_TOKEN_FILE is set), or with another token. Nothing was changed.',
  headers: { 'www-authenticate': { description: '`Bearer realm="overmind"`, with `error="invalid_token"` when a token was sent.', schema: { type: 'string' } } },
  content: { 'application/json': { schema: ErrorBody as OpenAPIV3.SchemaObject } }
}

const READ_METHODS = new Set(['get', 'head', 'options'])

/**
 * The seed's `/zerglings/` is served with and without its slash (ignoreTrailingSlash); the
 * document names it without, as OpenAPI tools expect (Redocly's `no-path-trailing-slash`).
 */
const DOCUMENTED_PATHS: Record<string, string> = { '/zerglings/': '/zerglings' }

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

export function openApiOptions ({ rateLimited, writesNeedToken = false, adminSwitch = false }: OpenApiOptions = {}): SwaggerOptions {
  const securitySchemes: Record<string, OpenAPIV3.SecuritySchemeObject> = {
    ...(writesNeedToken ? { apiToken: { type: 'http', scheme: 'bearer', description: 'The token in OVERMIND_API_TOKEN_FILE; every write needs it, reads do not.' } } : {}),
    ...(adminSwitch ? { adminToken: { type: 'http', scheme: 'bearer', description: 'The token in OVERMIND_ADMIN_TOKEN_FILE, for the drain switch.' } } : {})
  }
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'overmind',
        version: packageVersion,
        description: 'Spawn zerglings and steer them with L, R and M commands. CouchDB is the brain.',
        license: { name: 'MIT', url: 'https://opensource.org/license/mit' }
      },
      // Relative: the document is right wherever it is served from (a port-forward, an ingress).
      servers: [{ url: '/', description: 'This service, where this document was read.' }],
      // None by default, said outright so that tools need not guess; writes say theirs when a token is set.
      security: [],
      tags: [
        { name: 'zerglings', description: 'Spawn, read, steer and delete zerglings, and follow their changes.' },
        { name: 'health', description: 'What the seed\'s health check, Kubernetes probes and operators read.' }
      ],
      components: { parameters: { RequestId: REQUEST_ID.parameter }, headers: { RequestId: REQUEST_ID.header }, ...(Object.keys(securitySchemes).length === 0 ? {} : { securitySchemes }) }
    },
    transformObject: (documentObject) => finishDocument((documentObject as { openapiObject: OpenAPIV3.Document }).openapiObject, rateLimited, writesNeedToken)
  }
}

/** What every operation shares, added to each one generated from a route. */
function finishDocument (generated: OpenAPIV3.Document, rateLimited: OpenApiOptions['rateLimited'], writesNeedToken: boolean): OpenAPIV3.Document {
  const document = structuredClone(generated)
  const paths: OpenAPIV3.PathsObject = {}
  for (const [path, item] of Object.entries(document.paths)) {
    const documented = DOCUMENTED_PATHS[path] ?? path
    paths[documented] = item
    for (const method of METHODS) {
      const operation = item?.[method]
      if (operation === undefined) continue
      operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/RequestId' }]
      if (rateLimited?.(documented) === true) operation.responses['429'] = structuredClone(TOO_MANY_REQUESTS)
      // The drain switch has its own token (its route says so); every other write needs the API's.
      if (writesNeedToken && !READ_METHODS.has(method) && operation.security === undefined) {
        operation.security = [{ apiToken: [] }]
        operation.responses['401'] = structuredClone(UNAUTHORIZED)
      }
      for (const response of Object.values(operation.responses) as OpenAPIV3.ResponseObject[]) {
        response.headers = { ...response.headers, [REQUEST_ID_HEADER]: { $ref: '#/components/headers/RequestId' } }
      }
    }
  }
  return { ...document, paths }
}
