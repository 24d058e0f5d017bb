// The CouchDB store's HTTP client on its own, against a bare HTTP server that answers as CouchDB
// does (so no CouchDB is needed, and each header can be seen): what it sends, the session cookie it
// keeps, and how it reports answers it cannot use.
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, it } from 'node:test'
import { CouchHttpError, createCouchHttp } from '../../src/store/couch-http.js'

interface Seen { method: string, url: string, headers: IncomingHttpHeaders, body: string }
type Answer = (seen: Seen, res: import('node:http').ServerResponse) => void

describe('the CouchDB store\'s HTTP client', () => {
  let server: Server
  let base: string
  let seen: Seen[]
  let answer: Answer
  let clock: number
  const http = (): ReturnType<typeof createCouchHttp> => createCouchHttp(base, { authorization: 'Basic dGVzdDp0ZXN0' }, () => clock)
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => (_, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

  before(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => { body += chunk })
      req.on('end', () => {
        const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
        seen.push(entry)
        answer(entry, res)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => { await new Promise((resolve) => server.close(resolve)) })
  beforeEach(() => {
    seen = []
    clock = Date.now()
    answer = json(200, { ok: true })
  })

  it('when a request has a database name, a path, view keys and a body, then CouchDB gets them encoded as it reads them', async () => {
    const client = http()
    answer = json(201, { ok: true, id: 'a', rev: '1-x' })
    const put = await client.send({ method: 'PUT', db: 'zerg/lings', path: 'a%2Fb', qs: { startkey: 'a"b', limit: 5, conflicts: true, skipped: undefined }, body: { n: 1 } })
    assert.deepEqual(put, { status: 201, body: { ok: true, id: 'a', rev: '1-x' } })
    const [request] = seen
    assert.equal(request!.method, 'PUT')
    assert.equal(request!.url, `/zerg%2Flings/a%2Fb?startkey=${encodeURIComponent('"a\\"b"')}&limit=5&conflicts=true`)
    assert.equal(request!.headers['content-type'], 'application/json')
    assert.equal(request!.headers.authorization, 'Basic dGVzdDp0ZXN0')
    assert.deepEqual(JSON.parse(request!.body), { n: 1 })
    await client.close()
  })

  it('when CouchDB sets an AuthSession cookie, then it goes with the next requests until CouchDB clears it or its Max-Age has passed', async () => {
    const client = http()
    answer = json(200, { ok: true }, { 'set-cookie': 'AuthSession=c2Vzc2lvbg; Version=1; Expires=Tue, 01-Dec-2026 08:31:38 GMT; Max-Age=600; Path=/; HttpOnly' })
    await client.send({ method: 'POST', db: '_session', body: { name: 'u', password: 'p' } })
    answer = json(200, { ok: true })
    await client.send({ db: 'zerglings' })
    assert.equal(seen[1]!.headers.cookie, 'AuthSession=c2Vzc2lvbg')
    // A refresh (CouchDB sends one once 10 % of the session has passed) replaces it.
    answer = json(200, { ok: true }, { 'set-cookie': 'AuthSession=bmV3ZXI; Version=1; Max-Age=600; Path=/; HttpOnly' })
    await client.send({ db: 'zerglings' })
    answer = json(200, { ok: true })
    await client.send({ db: 'zerglings' })
    assert.equal(seen[3]!.headers.cookie, 'AuthSession=bmV3ZXI')
    clock += 601_000
    await client.send({ db: 'zerglings' })
    assert.equal(seen[4]!.headers.cookie, undefined, 'past its Max-Age')
    answer = json(200, { ok: true }, { 'set-cookie': 'AuthSession=YWdhaW4; Version=1; Max-Age=600; Path=/; HttpOnly' })
    await client.send({ db: 'zerglings' })
    // A failed login or a logout answers an empty AuthSession.
    answer = json(401, { error: 'unauthorized', reason: 'Name or password is incorrect.' }, { 'set-cookie': 'AuthSession=; Version=1; Max-Age=600; Path=/; HttpOnly' })
    await assert.rejects(client.send({ method: 'POST', db: '_session', body: {} }))
    answer = json(200, { ok: true })
    await client.send({ db: 'zerglings' })
    assert.equal(seen.at(-1)!.headers.cookie, undefined, 'cleared')
    await client.close()
  })

  it('when CouchDB answers an error status, then the error carries its status, error and reason', async () => {
    const client = http()
    answer = json(409, { error: 'conflict', reason: 'Document update conflict.' })
    const error = await client.send({ method: 'PUT', db: 'zerglings', path: 'a', body: {} }).then(() => undefined, (e: unknown) => e)
    assert.ok(error instanceof CouchHttpError)
    assert.deepEqual({ statusCode: error.statusCode, error: error.error, reason: error.reason }, { statusCode: 409, error: 'conflict', reason: 'Document update conflict.' })
    answer = (_, res) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('boom') }
    const bare = await client.send({ db: 'zerglings' }).then(() => undefined, (e: unknown) => e)
    assert.ok(bare instanceof CouchHttpError)
    assert.deepEqual({ statusCode: bare.statusCode, error: bare.error, reason: bare.reason }, { statusCode: 500, error: undefined, reason: undefined })
    await client.close()
  })

  it('when a 2xx answer is cut off or is not JSON, then its body comes back as an empty string, for the caller to refuse', async () => {
    const client = http()
    answer = (_, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"ok":tr')
      setTimeout(() => { res.destroy() }, 20)
    }
    assert.deepEqual(await client.send({ db: 'zerglings' }), { status: 200, body: '' })
    answer = (_, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>proxy</html>') }
    assert.deepEqual(await client.send({ db: 'zerglings' }), { status: 200, body: '' })
    await client.close()
  })

  it('when nothing listens at the address, then the error names the refused connection', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    const client = createCouchHttp(`http://127.0.0.1:${port}`, {})
    const error = await client.send({ db: 'zerglings' }).then(() => undefined, (e: unknown) => e) as { code?: string }
    assert.equal(error.code, 'ECONNREFUSED')
    await client.close()
  })
})
