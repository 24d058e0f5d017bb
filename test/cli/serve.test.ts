// `overmind serve` as a user runs it: the quick start on the embedded store, bad configuration,
// and a clean stop on SIGTERM.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCouchDouble } from '../support/couch-double/index.js'
import { runOvermind, startServe, type OvermindProcess } from '../support/overmind-process.js'
import { curl, replaySeedSession } from '../support/seed-session.js'

describe('overmind serve on the embedded store', () => {
  let dataDir: string
  before(async () => { dataDir = await mkdtemp(join(tmpdir(), 'overmind-serve-')) })
  after(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it('answers the seed\'s curl session, keeps the zerglings across a restart, and exits 0 on SIGTERM', async () => {
    const first = await startServe({ OVERMIND_DATA_DIR: dataDir })
    try {
      await replaySeedSession(first.baseUrl)
    } finally {
      assert.equal(await first.kill('SIGTERM'), 0, first.output())
    }
    const before = JSON.parse((await curl(`${first.baseUrl}/_health`).catch(() => ({ body: '{}' }))).body)
    assert.deepEqual(before, {}, 'the first process no longer answers')

    const second = await startServe({ OVERMIND_DATA_DIR: dataDir })
    try {
      const listed = JSON.parse((await curl(`${second.baseUrl}/zerglings/`)).body).zerglings
      assert.equal(listed.length, 3)
      assert.equal(listed.filter((z: { facing: string }) => z.facing === 'W').length, 1)
    } finally {
      assert.equal(await second.kill('SIGTERM'), 0)
    }
  })
})

describe('overmind serve --bootstrap with an app user configured', { skip: process.env.COUCHDB_TEST_URL ? 'needs a fresh CouchDB of its own (the double); COUCHDB_TEST_URL names a shared server' : false }, () => {
  it('when bootstrap has created the app user, then the service serves as that user, not as the admin', async () => {
    const double = await startCouchDouble({ version: '3.4.3', admins: { admin: 'serve-admin-password' } })
    const serve = runOvermind(['serve', '--bootstrap'], {
      OVERMIND_HTTP_ADDR: '127.0.0.1:0',
      COUCHDB_URL: double.url,
      COUCHDB_USERNAME: 'admin',
      COUCHDB_PASSWORD: 'serve-admin-password',
      COUCHDB_APP_USERNAME: 'overmind',
      COUCHDB_APP_PASSWORD: 'serve-app-password'
    })
    try {
      const url = await listening(serve)
      await replaySeedSession(url)
      const using = serve.output().split('\n').find((line) => line.includes('"msg":"overmind is listening"'))
      assert.match(using ?? '', /"username":"overmind"/, serve.output())
    } finally {
      await serve.kill()
      await double.close()
    }
  })
})

describe('overmind serve when it cannot start', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'overmind-serve-fail-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  async function fails (env: Record<string, string>, expected: RegExp): Promise<void> {
    const run = runOvermind(['serve'], { OVERMIND_HTTP_ADDR: '127.0.0.1:0', ...env })
    assert.equal(await run.exited, 1, run.output())
    // Log lines (JSON, on stdout) may come first; what the operator reads is the one sentence.
    const lines = run.output().trim().split('\n').filter((line) => !line.startsWith('{'))
    assert.equal(lines.length, 1, run.output())
    assert.match(lines[0]!, expected)
    assert.doesNotMatch(lines[0]!, /IO error|EADDRINUSE|EEXIST| {4}at /)
  }

  it('when its port is taken, then it exits 1 with one sentence naming OVERMIND_HTTP_ADDR', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = taken.address() as AddressInfo
      await fails({ OVERMIND_DATA_DIR: join(dir, 'port'), OVERMIND_HTTP_ADDR: `127.0.0.1:${port}` }, new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*OVERMIND_HTTP_ADDR`))
    } finally {
      taken.close()
    }
  })

  it('when another overmind uses the same data directory, then it exits 1 saying so and naming OVERMIND_DATA_DIR', async () => {
    const shared = join(dir, 'shared')
    const first = await startServe({ OVERMIND_DATA_DIR: shared })
    try {
      await fails({ OVERMIND_DATA_DIR: shared }, /the embedded store in .*shared\/zerglings is in use by another process \(another overmind\?\): stop it, or give this one a data directory of its own \(OVERMIND_DATA_DIR\)/)
    } finally {
      await first.kill()
    }
  })

  it('when the data directory is a file, then it exits 1 naming OVERMIND_DATA_DIR', async () => {
    const file = join(dir, 'a-file')
    await writeFile(file, '')
    await fails({ OVERMIND_DATA_DIR: file }, /OVERMIND_DATA_DIR .*a-file is \(or is inside\) a file, not a directory/)
  })
})

describe('overmind serve with bad configuration', () => {
  for (const [env, args, expected] of [
    [{ OVERMIND_HTTP_ADDR: 'nonsense' }, [], /OVERMIND_HTTP_ADDR \(or --http.addr\) must look like/],
    [{}, ['--http.addr=:99999'], /must look like/],
    [{ OVERMIND_LOG_LEVEL: 'loud' }, [], /OVERMIND_LOG_LEVEL must be one of/],
    [{}, ['--no-such-flag'], /Unknown option/]
  ] as const) {
    it(`exits 2 with one clear sentence for ${JSON.stringify({ ...env, args })}`, async () => {
      const run = runOvermind(['serve', ...args], { ...env })
      assert.equal(await run.exited, 2)
      assert.match(run.output(), expected)
      assert.ok(!run.output().includes('    at '), 'no stack trace')
    })
  }

  it('accepts the original\'s one-dash -http.addr flag', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'overmind-serve-'))
    const run = runOvermind(['serve', '-http.addr=127.0.0.1:0'], { OVERMIND_DATA_DIR: dataDir })
    try {
      const deadline = Date.now() + 20_000
      while (!run.output().includes('Server listening at http://127.0.0.1:') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      assert.match(run.output(), /Server listening at http:\/\/127\.0\.0\.1:\d+/)
    } finally {
      await run.kill()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('the overmind command', () => {
  it('lists its subcommands with --help and exits 0', async () => {
    const run = runOvermind(['--help'])
    assert.equal(await run.exited, 0)
    assert.match(run.output(), /serve/)
  })

  it('exits 2 naming an unknown subcommand', async () => {
    const run = runOvermind(['conquer'])
    assert.equal(await run.exited, 2)
    assert.match(run.output(), /unknown command "conquer"/)
  })
})

async function listening (serve: OvermindProcess, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(serve.output())
    if (match !== null) return match[1]!
    if (serve.child.exitCode !== null) throw new Error(`overmind serve exited before listening:\n${serve.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`overmind serve did not listen within ${timeoutMs} ms:\n${serve.output()}`)
}
