// "A plain client": what a hand-rolled service would do for one command, straight on CouchDB —
// GET the document, PUT it back with its _rev, start over on 409 — with keep-alive connections
// (Node's fetch pool) and no library in between. Commands on distinct zerglings through overmind
// are compared with this at the same concurrency. It runs twice: HTTP Basic on every request
// (what overmind does) and an AuthSession cookie (CouchDB checks the password once), to show
// what per-request password checking costs on the server.
// https://docs.couchdb.org/en/stable/api/document/common.html, .../api/server/authn.html
import type { BenchContext } from '../support/context.js'
import { basicAuth, type CouchServer } from '../support/couch.js'
import { runLoop } from '../support/loop-harness.js'
import type { LoadResult } from '../support/result.js'

export async function plainClientBaselines (ctx: BenchContext, database: string, documentsFor: (id: string) => object[]): Promise<LoadResult[]> {
  const results: LoadResult[] = []
  for (const auth of ctx.plan.extras ? ['basic', 'cookie'] as const : ['basic'] as const) {
    const authorization: Record<string, string> = auth === 'basic' ? { authorization: basicAuth(ctx.couch) } : { cookie: await sessionCookie(ctx.couch) }
    const base = `${ctx.couch.url}/${encodeURIComponent(database)}`
    for (const concurrency of ctx.plan.concurrencies) {
      // Each worker its own zergling, written as the service would have spawned it.
      const ids = Array.from({ length: concurrency }, () => crypto.randomUUID())
      await Promise.all(ids.map(async (id) => {
        for (const doc of documentsFor(id)) await send('PUT', `${base}/${encodeURIComponent((doc as { _id: string })._id)}`, authorization, doc)
      }))
      ctx.log(`plain-client:${auth} command-many c=${concurrency}`)
      results.push(await runLoop({
        scenario: 'command-many',
        target: `plain-client-${auth}:couchdb`,
        concurrency,
        warmupS: ctx.plan.warmupS,
        durationS: ctx.plan.durationS,
        operation: async (worker) => { await readModifyWrite(`${base}/${ids[worker]!}`, authorization) }
      }))
    }
  }
  return results
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

async function send (method: string, url: string, auth: Record<string, string>, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: { ...auth, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} answered ${response.status}`)
  return JSON.parse(text) as unknown
}

// https://docs.couchdb.org/en/stable/api/server/authn.html#post--_session
async function sessionCookie (server: CouchServer): Promise<string> {
  const response = await fetch(`${server.url}/_session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: server.username, password: server.password })
  })
  await response.arrayBuffer()
  const cookie = response.headers.get('set-cookie')?.split(';')[0]
  if (!response.ok || cookie === undefined) throw new Error(`POST /_session answered ${response.status}`)
  return cookie
}
