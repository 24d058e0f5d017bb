// The HTTP ceiling around the embedded store: a bare Fastify whose `POST /zerglings/:id` hands
// the command to the same store the service uses (the build's own, dist/store/pouch-store.js)
// and answers `{"zergling": …}` as the service does — no schemas, no hooks, no metrics, no
// logging; the service's security headers, as bare-fastify-server.ts sends them. Run in its own
// process with the image's NODE_OPTIONS, as the service is. What it loses against the raw store
// is what any Fastify in the store's process costs; what the service loses against it is its own.
// node --import tsx bench/baselines/store-fastify-server.ts PORT DATA_DIR STORE_MODULE_PATH
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import type { Command } from '../../src/domain/zergling.js'
import { detail, historyView } from '../../src/http/routes/zergling-answers.js'
import { addSecurityHeaders } from '../../src/http/security-headers.js'
import type { HistoryView, StoredZergling } from '../../src/store/zergling-store.js'

interface Store {
  spawn: () => Promise<{ result: StoredZergling }>
  command: (id: string, request: { commands: Command[], history: HistoryView }) => Promise<{ result: StoredZergling }>
  close: () => Promise<void>
}

const [port, dataDir, storeModule] = process.argv.slice(2) as [string, string, string]
const { createPouchStore } = await import(pathToFileURL(storeModule).href) as { createPouchStore: (options: { dataDir: string, database: string }) => Promise<Store> }
const store = await createPouchStore({ dataDir, database: 'zerglings' })
if (typeof store.command !== 'function') throw new Error('this build\'s store has no command(id, request)')

const app = Fastify({ logger: false })
addSecurityHeaders(app)
app.post('/zerglings/', async (_request, reply) => reply.code(201).send({ zergling: detail((await store.spawn()).result) }))
// The service's answer without `?history` (the newest 1000 commands), in the service's shape.
app.post<{ Params: { id: string }, Body: string }>('/zerglings/:id', async (request) =>
  ({ zergling: detail((await store.command(request.params.id, { commands: [...request.body] as Command[], history: historyView(undefined) })).result) }))
app.get('/readyz', async () => ({ status: 'ok' }))

await app.listen({ host: '127.0.0.1', port: Number(port) })
process.once('SIGTERM', () => { app.close().then(async () => { await store.close() }).then(() => process.exit(0), () => process.exit(1)) })
