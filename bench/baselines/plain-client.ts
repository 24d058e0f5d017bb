// "A plain client": what a hand-rolled service would do straight on CouchDB, with keep-alive
// connections (Node's fetch pool) and no library in between. For one command: GET the document,
// PUT it back with its _rev, start over on 409. For a read: one GET. It logs in as the service
// does by default — one POST /_session, then the AuthSession cookie on every request — or, as a
// second row, sends the password with every request (HTTP Basic).
// https://docs.couchdb.org/en/stable/api/document/common.html, .../api/server/authn.html
import type { Slice } from '../support/alternate.js'
import type { BenchContext } from '../support/context.js'
import { basicAuth, send, sessionCookie } from '../support/couch.js'
import { runLoop } from '../support/loop-harness.js'
import type { DocumentFactory } from '../support/seed.js'

export type PlainAuth = 'cookie' | 'basic'

export interface PlainClient {
  /** Read-modify-write on a zergling of each worker's own (`command-many`). */
  commandMany: (concurrency: number) => Slice
  /** One GET of a zergling of each worker's own, with a three-command history like the service's `get`. */
  get: (concurrency: number) => Slice
}

export async function preparePlainClient (ctx: BenchContext, database: string, documentsFor: DocumentFactory, auth: PlainAuth): Promise<PlainClient> {
  const headers: Record<string, string> = auth === 'basic' ? { authorization: basicAuth(ctx.couch) } : { cookie: await sessionCookie(ctx.couch) }
  const base = `${ctx.couch.url}/${encodeURIComponent(database)}`
  const target = `plain-client-${auth}:couchdb`
  // Each worker its own zergling, written as the service would have spawned it; made once per scenario and concurrency.
  const made = new Map<string, Promise<string[]>>()
  const zerglings = async (scenario: string, concurrency: number, commands: number): Promise<string[]> => {
    const key = `${scenario} ${concurrency}`
    if (!made.has(key)) {
      made.set(key, (async () => {
        const ids = Array.from({ length: concurrency }, () => crypto.randomUUID())
        await Promise.all(ids.map(async (id) => {
          for (const doc of documentsFor(id)) await send('PUT', `${base}/${encodeURIComponent((doc as { _id: string })._id)}`, headers, doc)
          for (let i = 0; i < commands; i++) await readModifyWrite(`${base}/${id}`, headers)
        }))
        return ids
      })())
    }
    return await made.get(key)!
  }
  const loop = (scenario: string, concurrency: number, commands: number, operation: (url: string) => Promise<unknown>): Slice => async (durationS, warmupS) => {
    const ids = await zerglings(scenario, concurrency, commands)
    ctx.log(`${target} ${scenario} c=${concurrency}`)
    return await runLoop({
      scenario,
      target,
      concurrency,
      warmupS,
      durationS,
      params: { request: scenario === 'get' ? 'GET /{db}/{id}' : 'GET + PUT /{db}/{id}', auth },
      operation: async (worker) => { await operation(`${base}/${ids[worker]!}`) }
    })
  }
  return {
    commandMany: (concurrency) => loop('command-many', concurrency, 0, async (url) => { await readModifyWrite(url, headers) }),
    get: (concurrency) => loop('get', concurrency, 3, async (url) => await send('GET', url, headers))
  }
}

/** One move north-ish: the document's location changes and the command is appended. */
async function readModifyWrite (url: string, auth: Record<string, string>): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const doc = await send('GET', url, auth) as Record<string, unknown>
    const location = doc.location as { x: number, y: number }
    doc.location = { x: location.x, y: location.y + 1 }
    // The same append the service makes, in whichever layout the store writes.
    if (typeof doc.recentCommands === 'string') doc.recentCommands += 'M'
    else doc.commandHistory = [...(doc.commandHistory as string[] | undefined ?? []), 'M']
    const response = await fetch(url, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(doc) })
    await response.arrayBuffer()
    if (response.status === 201 || response.status === 202) return
    if (response.status !== 409) throw new Error(`PUT answered ${response.status}`)
  }
  throw new Error('still conflicting after 10 attempts')
}
