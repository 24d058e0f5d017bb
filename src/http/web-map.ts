// The web map at `/` (issue 14): plain ES modules and a stylesheet from web/map, served as files
// (@fastify/static: ETags, 304s, content types), and the page itself, which names the replica
// that served it. Nothing comes from another origin, so the CSP every answer carries
// (security-headers.ts: scripts, styles, images and connections from 'self' only) holds as it is.
// web/ sits beside src/ and dist/ alike, so the same path works from the sources and the build.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'

const WEB = new URL('../../web/', import.meta.url)

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!)
}

const webMap: FastifyPluginAsync<{ replica: string }> = async (fastify, { replica }) => {
  const page = readFileSync(new URL('index.html', WEB), 'utf8').replaceAll('{{replica}}', escapeHtml(replica))
  // One route per file found at start (wildcard: false): nothing else under /map/ is served.
  await fastify.register(fastifyStatic, { root: fileURLToPath(new URL('map/', WEB)), prefix: '/map/', wildcard: false, decorateReply: false, index: false })
  fastify.get('/', { schema: { hide: true } }, async (_request, reply) => {
    return await reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page)
  })
}

export default webMap
