// `overmind zerglings` as a user runs it: the built binary as a process against a served
// instance, on the embedded store and on CouchDB (the double, or COUCHDB_TEST_URL's server).
// --json is compared with what the API itself answers; stdout carries results only.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startAnswerProxy } from '../support/answer-proxy.js'
import { freePort } from '../support/free-port.js'
import { runBinary } from '../support/overmind-binary.js'
import { serveEmbedded, serveOnCouch, type ServedInstance, type StoreKind } from '../support/served-instance.js'
import { startTestCouch, type TestCouch } from '../support/test-couch.js'

const api = async (url: string, init?: RequestInit): Promise<any> => await (await fetch(url, init)).json()
const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '')

for (const kind of ['embedded', 'CouchDB'] as StoreKind[]) {
  describe(`overmind zerglings on the ${kind} store`, () => {
    let couch: TestCouch | undefined
    let served: ServedInstance
    const cli = async (...args: string[]): ReturnType<typeof runBinary> => await runBinary(['zerglings', ...args], { OVERMIND_URL: served.url })
    before(async () => {
      if (kind === 'CouchDB') couch = await startTestCouch()
      served = couch === undefined ? await serveEmbedded() : await serveOnCouch(couch, 'cli')
    })
    after(async () => {
      await served.close()
      await couch?.close()
    })

    it('when zerglings are spawned with --count and listed with --json, then each line is a zergling exactly as the list API pages give them', async () => {
      const spawned = await cli('spawn', '--count', '3', '--json')
      assert.equal(spawned.code, 0, spawned.stderr)
      const answers = lines(spawned.stdout).map((line) => JSON.parse(line))
      assert.equal(answers.length, 3)
      for (const { zergling } of answers) assert.deepEqual(zergling, { id: zergling.id, location: { x: 0, y: 0 }, facing: 'N' })
      const listed = await cli('list', '--json')
      assert.equal(listed.code, 0, listed.stderr)
      assert.deepEqual(lines(listed.stdout).map((line) => JSON.parse(line)), (await api(`${served.url}/zerglings/?limit=1000`)).zerglings)
      assert.equal(listed.stderr, '')
    })

    it('when the list is asked for as a table, then it is aligned with a header, one row per zergling, and --limit cuts it', async () => {
      const table = lines((await cli('list')).stdout)
      assert.match(table[0]!, /^ID +X +Y +FACING +HISTORY$/)
      const count = (await api(`${served.url}/zerglings/?limit=1000`)).zerglings.length
      assert.equal(table.length, count + 1)
      for (const row of table.slice(1)) assert.match(row, /^[0-9a-f-]{36} +-?\d+ +-?\d+ +[NESW] +\d+$/)
      assert.equal(new Set(table.map((row) => row.indexOf('FACING') >= 0 ? row.indexOf('FACING') : row.search(/ [NESW] /) + 1)).size, 1, 'the facing column lines up')
      assert.equal(lines((await cli('list', '--limit', '2')).stdout).length, 3)
    })

    it('when a zergling is moved by a short id prefix with unquoted letters, then it applies them and get --json equals the API\'s answer', async () => {
      const { zergling } = await api(`${served.url}/zerglings/`, { method: 'POST' })
      const prefix = await uniquePrefix(served.url, zergling.id)
      const moved = await cli('move', prefix, 'LMLMM', '--json')
      assert.equal(moved.code, 0, moved.stderr)
      const answer = JSON.parse(moved.stdout)
      assert.deepEqual({ location: answer.zergling.location, facing: answer.zergling.facing, historyLength: answer.zergling.historyLength }, { location: { x: -1, y: -2 }, facing: 'S', historyLength: 5 })
      const got = await cli('get', prefix, '--json')
      assert.deepEqual(JSON.parse(got.stdout), await api(`${served.url}/zerglings/${zergling.id as string}`))
      assert.deepEqual(JSON.parse(got.stdout).zergling._rev, answer.zergling._rev)
      const human = lines((await cli('get', zergling.id)).stdout)
      assert.match(human[1]!, new RegExp(`^${zergling.id as string} +-1 +-2 +S +5$`))
      assert.equal(human[2], 'history: LMLMM')
      assert.deepEqual(JSON.parse((await cli('get', prefix, '--history', 'none', '--json')).stdout).zergling.commandHistory, undefined)
    })

    it('when a history is read, then it is the whole history, oldest first, as the history API\'s pages joined', async () => {
      const { zergling } = await api(`${served.url}/zerglings/`, { method: 'POST' })
      for (const letters of ['L', 'MM', 'R']) assert.equal((await cli('move', zergling.id, letters)).code, 0)
      assert.equal((await cli('history', zergling.id)).stdout, 'LMMR\n')
      const json = JSON.parse((await cli('history', zergling.id, '--json')).stdout)
      const page = await api(`${served.url}/zerglings/${zergling.id as string}/history`)
      assert.deepEqual(json, { history: page.history, total: page.total })
    })

    it('when a zergling is deleted, then the CLI prints its last state and the API no longer has it', async () => {
      const { zergling } = await api(`${served.url}/zerglings/`, { method: 'POST' })
      await cli('move', zergling.id, 'R')
      const deleted = await cli('delete', zergling.id, '--json')
      assert.equal(deleted.code, 0, deleted.stderr)
      assert.equal(JSON.parse(deleted.stdout).zergling.facing, 'E')
      assert.equal((await fetch(`${served.url}/zerglings/${zergling.id as string}`)).status, 404)
    })

    it('when an id prefix matches several zerglings, then it exits 2 naming them; when it matches none, it exits 1', async () => {
      const ids: string[] = (await api(`${served.url}/zerglings/?limit=1000`)).zerglings.map((z: { id: string }) => z.id)
      while (ids.length < 17) ids.push((await api(`${served.url}/zerglings/`, { method: 'POST' })).zergling.id)
      const shared = [...'0123456789abcdef'].find((digit) => ids.filter((id) => id.startsWith(digit)).length > 1)!
      const ambiguous = await cli('get', shared)
      assert.equal(ambiguous.code, 2)
      assert.match(ambiguous.stderr, new RegExp(`prefix "${shared}" is ambiguous: it matches ${shared}`))
      assert.equal(ambiguous.stdout, '')
      const unused = [...'0123456789abcdef'].flatMap((a) => [...'0123456789abcdef'].map((b) => a + b)).find((pair) => !ids.some((id) => id.startsWith(pair)))!
      const none = await cli('get', unused)
      assert.equal(none.code, 1)
      assert.match(none.stderr, /No zergling's id starts with/)
    })

    it('when the service answers an error, then the CLI exits 1 with its reason on stderr and nothing on stdout', async () => {
      const { zergling } = await api(`${served.url}/zerglings/`, { method: 'POST' })
      const bad = await cli('move', zergling.id, 'LX')
      assert.equal(bad.code, 1)
      assert.match(bad.stderr, /Unknown command "X" at position 2.*\(400 invalid_command\)/)
      assert.equal(bad.stdout, '')
      const missing = await cli('get', '00000000-0000-4000-8000-000000000000')
      assert.equal(missing.code, 1)
      assert.match(missing.stderr, /\(404 not_found\)/)
      assert.equal((await api(`${served.url}/zerglings/${zergling.id as string}`)).zergling.historyLength, 0, 'the refused command changed nothing')
    })

    it('when the service answers 503 with Retry-After to a move it did apply, then the CLI retries with the same Idempotency-Key and the commands apply once', async () => {
      const proxy = await startAnswerProxy(served.url)
      try {
        const { zergling } = await api(`${served.url}/zerglings/`, { method: 'POST' })
        proxy.replaceNext(1, 'POST', { status: 503, headers: { 'retry-after': '1' }, body: JSON.stringify({ error: 'outcome_unknown', reason: 'CouchDB took the write and went away before confirming it.' }) })
        const moved = await runBinary(['zerglings', 'move', zergling.id, 'MM', '--json'], { OVERMIND_URL: proxy.url })
        assert.equal(moved.code, 0, moved.stderr)
        assert.match(moved.stderr, /503 outcome_unknown.*trying again in 1 s with the same Idempotency-Key/)
        const posts = proxy.requests.filter((request) => request.method === 'POST')
        assert.equal(posts.length, 2)
        assert.ok(posts[0]!.idempotencyKey !== undefined && posts[0]!.idempotencyKey === posts[1]!.idempotencyKey)
        assert.equal(JSON.parse(moved.stdout).zergling.historyLength, 2)
        const stored = (await api(`${served.url}/zerglings/${zergling.id as string}`)).zergling
        assert.deepEqual({ y: stored.location.y, history: stored.commandHistory }, { y: 2, history: ['M', 'M'] }, 'applied once, not twice')
      } finally {
        await proxy.close()
      }
    })
  })
}

describe('overmind zerglings, usage and reachability', () => {
  it('when a verb is unknown, an argument is missing or an option is bad, then it exits 2 with the usage on stderr and nothing on stdout', async () => {
    for (const args of [['fly'], ['get'], ['move', 'abc'], ['get', 'abc', '--history', 'some'], ['list', '--limit', '0'], ['list', '--colour'], ['list', '--timeout', 'soon'], ['get', 'not-hex!']]) {
      const result = await runBinary(['zerglings', ...args], { OVERMIND_URL: 'http://127.0.0.1:9' })
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, /usage: overmind zerglings|id nor the start of one/)
    }
  })

  it('when --help is asked of each verb, then it prints that verb\'s usage and the exit codes on stdout and exits 0', async () => {
    for (const verb of ['list', 'spawn', 'get', 'move', 'delete', 'history', 'watch']) {
      const result = await runBinary(['zerglings', verb, '--help'])
      assert.equal(result.code, 0)
      assert.match(result.stdout, new RegExp(`^usage: overmind zerglings ${verb}`))
      assert.match(result.stdout, /exit codes: 0 done, 1 .*\n2 bad usage, 3 /)
    }
  })

  it('when nothing listens at --url, then it exits 3 saying the service cannot be reached', async () => {
    const result = await runBinary(['zerglings', 'list', '--url', `http://127.0.0.1:${await freePort()}`])
    assert.equal(result.code, 3)
    assert.match(result.stderr, /cannot be reached \(connection refused/)
  })

  it('when the service takes the connection but never answers, then it exits 3 after --timeout', async () => {
    const { createServer } = await import('node:net')
    const sockets = new Set<import('node:net').Socket>()
    const silent = createServer((socket) => { sockets.add(socket) })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const port = (silent.address() as { port: number }).port
      const result = await runBinary(['zerglings', 'list', '--timeout', '1', '--url', `http://127.0.0.1:${port}`])
      assert.equal(result.code, 3)
      assert.match(result.stderr, /did not answer within 1 s \(--timeout\)/)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  it('when --url is not an http URL, then it exits 2 naming --url', async () => {
    const result = await runBinary(['zerglings', 'list', '--url', 'ftp://example'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /--url must start with http/)
  })
})

/** The shortest start of `id` that no other zergling's id shares. */
async function uniquePrefix (url: string, id: string): Promise<string> {
  const ids: string[] = (await api(`${url}/zerglings/?limit=1000`)).zerglings.map((z: { id: string }) => z.id)
  for (let length = 1; ; length++) {
    const prefix = id.slice(0, length)
    if (ids.filter((other) => other.startsWith(prefix)).length === 1) return prefix
  }
}
