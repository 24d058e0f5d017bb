// OpenTelemetry traces (src/tracing/, src/http/request-tracing.ts): a command that loses two
// revision races to another replica shows as one request span with its CouchDB calls as children
// (the 409s among them) and the retries as events; the request's log lines carry its trace id; a
// `traceparent` sent in is the span's parent; off, nothing is recorded. The races are real ones
// (a second service writes the zergling while the first one's write is held in a proxy), so this
// runs on the double and on a real CouchDB alike.
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { after, before, beforeEach, describe, it } from 'node:test'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node'
import { loadConfig } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/http/server.js'
import { startCouchProxy, type CouchProxy } from '../support/couch-proxy.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

type LogLine = Record<string, unknown>

/** A server of its own on `couchUrl`, logging into `lines`. */
async function serve (couch: TestCouch, couchUrl: string, database: string, env: Record<string, string>, lines: LogLine[], exporter?: InMemorySpanExporter): Promise<RunningServer> {
  const config = loadConfig({ OVERMIND_HTTP_ADDR: '127.0.0.1:0', COUCHDB_URL: couchUrl, COUCHDB_USERNAME: couch.username, COUCHDB_PASSWORD: couch.password, OVERMIND_DATABASE: database, OVERMIND_LOG_LEVEL: 'info', ...env })
  return await startServer(config, { traceExporter: exporter, logTo: { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } } })
}

async function createDatabase (couch: TestCouch, prefix: string): Promise<string> {
  const database = couch.uniqueDatabaseName(prefix)
  const authorization = 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64')
  assert.equal((await fetch(`${couch.url}/${database}`, { method: 'PUT', headers: { authorization } })).status, 201)
  return database
}

async function spawn (server: RunningServer): Promise<string> {
  const answer = await fetch(`${server.address}/zerglings/`, { method: 'POST' })
  assert.equal(answer.status, 201)
  return ((await answer.json()) as { zergling: { id: string } }).zergling.id
}

const serverSpans = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] =>
  spans.filter((span) => span.kind === SpanKind.SERVER && span.name === name)

/**
 * The finished spans once `count` server spans named `name` are among them: a span ends when its
 * answer has been sent, which may be just after the client read it.
 */
async function spansOnceEnded (exporter: InMemorySpanExporter, name: string, count = 1): Promise<ReadableSpan[]> {
  await eventually(() => serverSpans(exporter.getFinishedSpans(), name).length >= count)
  const spans = exporter.getFinishedSpans()
  assert.equal(serverSpans(spans, name).length, count, `${count} ${name} span(s) among ${spans.map((span) => span.name).join(', ')}`)
  return spans
}

async function eventually (check: () => boolean): Promise<void> {
  for (let waited = 0; !check() && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10))
}

const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] =>
  spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)

describe('traces, with tracing on', () => {
  const exporter = new InMemorySpanExporter()
  const lines: LogLine[] = []
  let couch: TestCouch
  let proxy: CouchProxy
  let traced: RunningServer
  let other: RunningServer
  before(async () => {
    couch = await startTestCouch()
    const database = await createDatabase(couch, 'tracing')
    proxy = await startCouchProxy(couch.url)
    traced = await serve(couch, proxy.url, database, { OVERMIND_TRACING: 'on' }, lines, exporter)
    // The other replica: straight to CouchDB, and no tracer of its own.
    other = await serve(couch, couch.url, database, { OVERMIND_LOG_LEVEL: 'silent' }, [])
  })
  after(async () => {
    await traced.shutdown()
    await other.shutdown()
    await proxy.close()
    await couch.close()
  })
  beforeEach(() => {
    exporter.reset()
    lines.length = 0
  })

  it('when a command loses two revision races to another replica, then its span has the CouchDB calls as children, the 409s among them, and both retries as events', async () => {
    const id = await spawn(traced)
    // Each of our next two writes waits until the other replica has moved the zergling on.
    proxy.beforeNextWrites(2, async () => {
      const moved = await fetch(`${other.address}/zerglings/${id}?history=none`, { method: 'POST', body: '"M"' })
      assert.equal(moved.status, 200)
    })
    exporter.reset()

    const answer = await fetch(`${traced.address}/zerglings/${id}?history=none`, { method: 'POST', body: '"R"' })

    assert.equal(answer.status, 200)
    assert.deepEqual(((await answer.json()) as { zergling: { historyLength: number } }).zergling.historyLength, 3, 'the other replica\'s two moves and ours, once each')
    const spans = await spansOnceEnded(exporter, 'POST /zerglings/:id')
    const request = serverSpans(spans, 'POST /zerglings/:id')[0]!
    assert.equal(request.attributes['http.route'], '/zerglings/:id')
    assert.equal(request.attributes['http.request.method'], 'POST')
    assert.equal(request.attributes['http.response.status_code'], 200)
    assert.equal(request.status.code, SpanStatusCode.UNSET)
    const calls = childrenOf(spans, request)
    assert.ok(calls.every((call) => call.kind === SpanKind.CLIENT && call.spanContext().traceId === request.spanContext().traceId))
    // Written on the remembered revision (409), read, written (409 again), then after the
    // back-off read and written for good.
    assert.deepEqual(calls.map((call) => `${String(call.attributes['http.request.method'])} ${String(call.attributes['http.response.status_code'])}`), ['PUT 409', 'GET 200', 'PUT 409', 'GET 200', 'PUT 201'])
    assert.ok(calls.every((call) => String(call.attributes['url.path']).includes(id)), 'each call is for the zergling')
    const retries = request.events.filter((event) => event.name === 'overmind.conflict_retry')
    assert.deepEqual(retries.map((event) => event.attributes?.['overmind.retry.reason']), ['remembered_revision', 'revision_race'])
    assert.equal(retries[1]!.attributes?.['overmind.retry'], 1)
    const batch = request.events.find((event) => event.name === 'overmind.group_commit')
    assert.deepEqual({ size: batch?.attributes?.['overmind.batch.size'], commands: batch?.attributes?.['overmind.batch.commands'] }, { size: 1, commands: 1 })
  })

  it('when a request is handled, then every log line of it carries its trace and span ids, the route\'s own line and "request completed" included', async () => {
    const answer = await fetch(`${traced.address}/zerglings/c4a24574-4ca8-4fbd-93e1-2a648147a71f`, { headers: { 'x-request-id': 'traced-404' } })

    assert.equal(answer.status, 404)
    const request = serverSpans(await spansOnceEnded(exporter, 'GET /zerglings/:id'), 'GET /zerglings/:id')[0]!
    await eventually(() => lines.some((line) => line.reqId === 'traced-404' && line.msg === 'request completed'))
    const own = lines.filter((line) => line.reqId === 'traced-404')
    assert.deepEqual(own.map((line) => line.msg), ['incoming request', own[1]?.msg, 'request completed'])
    assert.equal(own[1]?.error, 'not_found', 'the middle line is the 404\'s reason, logged by the error handler')
    for (const line of own) {
      assert.equal(line.trace_id, request.spanContext().traceId)
      assert.equal(line.span_id, request.spanContext().spanId)
    }
    assert.equal(request.attributes['overmind.request_id'], 'traced-404')
    assert.equal(request.status.code, SpanStatusCode.UNSET, 'a 404 is the client\'s, not an error of the service')
  })

  it('when a request carries a W3C traceparent, then its span continues that trace as a child of the caller\'s span', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const callerSpanId = '00f067aa0ba902b7'

    const answer = await fetch(`${traced.address}/zerglings/`, { method: 'POST', headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } })

    assert.equal(answer.status, 201)
    const spans = await spansOnceEnded(exporter, 'POST /zerglings/')
    const request = serverSpans(spans, 'POST /zerglings/')[0]!
    assert.equal(request.spanContext().traceId, traceId)
    assert.equal(request.parentSpanContext?.spanId, callerSpanId)
    assert.equal(request.parentSpanContext?.isRemote, true)
    assert.ok(childrenOf(spans, request).some((call) => call.attributes['http.request.method'] === 'PUT'), 'the spawn\'s write is in the caller\'s trace')
    await eventually(() => lines.some((line) => line.msg === 'request completed' && line.trace_id === traceId))
    assert.ok(lines.some((line) => line.msg === 'request completed' && line.trace_id === traceId))
  })

  it('when a command\'s body arrives well after its headers, then its CouchDB calls are still the request\'s children', async () => {
    const id = await spawn(traced)
    exporter.reset()

    const status = await new Promise<number>((resolve, reject) => {
      const sent = httpRequest(`${traced.address}/zerglings/${id}?history=none`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (answer) => {
        answer.resume()
        resolve(answer.statusCode ?? 0)
      })
      sent.on('error', reject)
      sent.write('"L')
      setTimeout(() => { sent.end('M"') }, 100)
    })

    assert.equal(status, 200)
    const spans = await spansOnceEnded(exporter, 'POST /zerglings/:id')
    const request = serverSpans(spans, 'POST /zerglings/:id')[0]!
    assert.deepEqual(childrenOf(spans, request).map((call) => call.attributes['http.request.method']), ['PUT'])
  })

  it('when commands for one zergling arrive together, then each request\'s span tells its group-commit batch and only the first holds the write', async () => {
    const id = await spawn(traced)
    exporter.reset()

    const answers = await Promise.all(Array.from({ length: 4 }, async () => await fetch(`${traced.address}/zerglings/${id}?history=none`, { method: 'POST', body: '"M"' })))

    assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 200, 200])
    const spans = await spansOnceEnded(exporter, 'POST /zerglings/:id', 4)
    const requests = serverSpans(spans, 'POST /zerglings/:id')
    const batches = requests.map((span) => span.events.find((event) => event.name === 'overmind.group_commit')?.attributes ?? {})
    assert.ok(batches.every((batch) => Number(batch['overmind.batch.size']) >= 1), 'every request tells its batch')
    // The first command's write starts at once, so the others wait for a second batch at least.
    assert.ok(batches.filter((batch) => batch['overmind.batch.position'] === 0).length >= 2, 'at least two batches')
    for (const [i, span] of requests.entries()) {
      const writes = childrenOf(spans, span).filter((call) => call.attributes['http.request.method'] === 'PUT')
      assert.equal(writes.length, batches[i]!['overmind.batch.position'] === 0 ? 1 : 0, `request ${i}: its batch's write is in its trace only when it came first`)
    }
  })
})

describe('traces, with tracing off (the default)', () => {
  it('when requests are handled, then no span is recorded and no log line has a trace id', async () => {
    const couch = await startTestCouch()
    const exporter = new InMemorySpanExporter()
    const lines: LogLine[] = []
    const server = await serve(couch, couch.url, await createDatabase(couch, 'untraced'), {}, lines, exporter)
    try {
      const id = await spawn(server)
      const answer = await fetch(`${server.address}/zerglings/${id}`, { method: 'POST', body: '"M"', headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })
      assert.equal(answer.status, 200)
    } finally {
      await server.shutdown()
      await couch.close()
    }
    assert.deepEqual(exporter.getFinishedSpans(), [])
    assert.ok(lines.filter((line) => line.msg === 'request completed').length >= 2)
    assert.ok(lines.every((line) => line.trace_id === undefined), 'no trace id in any line')
  })
})
