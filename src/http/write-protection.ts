// OVERMIND_API_TOKEN_FILE: every write (spawn, command, delete: every method but GET, HEAD and a
// CORS preflight's OPTIONS) needs `Authorization: Bearer <token>`; reads stay open. The check runs
// in onRequest, before the body is read and before any handler touches the store, so a refused
// write changes nothing. It runs after the rate limit's own onRequest, so guessing tokens is
// limited too. The operator's /readyz/* switch has its own token (readiness-switch.ts).
import fp from 'fastify-plugin'
import type { BearerToken } from '../token-file.js'
import { checkBearer } from './bearer-auth.js'

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export default fp(async function writeProtection (fastify, { apiToken }: { apiToken: BearerToken }) {
  fastify.addHook('onRequest', async (request) => {
    if (READ_METHODS.has(request.method) || request.url.startsWith('/readyz/')) return
    checkBearer(request, apiToken, 'the API token (OVERMIND_API_TOKEN_FILE)')
  })
}, { name: 'write-protection', fastify: '5.x' })
