// The web map at `/` (issue 14): plain ES modules and a stylesheet from web/map, and the page
// itself, which names the replica that served it. The files are a fixed handful read once at
// start (all text), each answered from memory with its type, an ETag and 304s: @fastify/static did the same
// by globbing the directory and cost the service 150 ms of its start (its import and glob's), a
// sixth of the start-up budget (bench: ready ≤ 1 s), for features a fixed set does not use. Nothing comes from another origin, so the CSP every answer carries
// (security-headers.ts: scripts, styles, images and connections from 'self' only) holds as it is.
// web/ sits beside src/ and dist/ alike, so the same path works from the sources and the build.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { extname } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'

const WEB = new URL('../../web/', import.meta.url)

/** What web/map holds, by extension; any other file there is not served. */
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!)
}

const webMap: FastifyPluginAsync<{ replica: string }> = async (fastify, { replica }) => {
  const page = readFileSync(new URL('index.html', WEB), 'utf8').replaceAll('{{replica}}', escapeHtml(replica))
  // One route per file found at start: nothing else under /map/ is served.
  const directory = new URL('map/', WEB)
  for (const name of readdirSync(directory).filter((file) => TYPES[extname(file)] !== undefined)) {
    const body = readFileSync(new URL(name, directory), 'utf8')
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
    fastify.get(`/map/${name}`, { schema: { hide: true } }, async (request, reply) => {
      reply.header('etag', etag).header('cache-control', 'no-cache')
      if (request.headers['if-none-match'] === etag) return await reply.code(304).send()
      return await reply.type(TYPES[extname(name)]!).send(body)
    })
  }
  fastify.get('/', { schema: { hide: true } }, async (_request, reply) => {
    return await reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page)
  })
}

export default webMap
