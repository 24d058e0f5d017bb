// The HTTP ceiling: a bare Fastify answering `GET /zerglings/:id` with the same JSON the service
// sends, from memory — no store, no schemas, no logging, no plugins — and the same security
// headers, set the way the service sets them (src/http/security-headers.ts): every answer of the
// service carries them, and a ceiling without them would count their cost as overmind's
// overhead. Whatever overmind does on top of this (validation, serialisation, metrics, the
// store) shows as the gap to this figure.
// Run as a child process: node --import tsx bench/baselines/bare-fastify-server.ts PORT
import Fastify from 'fastify'
import { addSecurityHeaders } from '../../src/http/security-headers.js'

const port = Number(process.argv[2])
const app = Fastify({ logger: false })
addSecurityHeaders(app)

app.get<{ Params: { id: string } }>('/zerglings/:id', async (request) => ({
  zergling: {
    id: request.params.id,
    location: { x: 0, y: 1 },
    facing: 'W',
    commandHistory: ['L', 'M', 'R'],
    historyLength: 3,
    _rev: '4-0c6e3c2a3f1f4b27a9c4d1e2f3a4b5c6'
  }
}))
app.get('/readyz', async () => ({ status: 'ok' }))

await app.listen({ host: '127.0.0.1', port })
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
