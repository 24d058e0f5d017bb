// The image caps V8's old generation (Dockerfile, NODE_OPTIONS --max-old-space-size) so that the
// resident set stays under the dev overlay's 192Mi; a cap below what the service keeps live would
// crash it with "heap out of memory" instead. So: the service as the image runs it (dist/, the
// image's NODE_OPTIONS), under the kinds of load the bench's heaviest scenarios put on it — many
// spawns filling the embedded store's cache, 50 connections of commands, and a 100 000-command
// history read whole by 20 connections at once — answers every request and is still serving.
// (Run `npx tsc -p tsconfig.build.json` first when running this file alone.)
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { freePort } from '../support/free-port.js'
import { runtimeEnv } from './dockerfile.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = join(ROOT, 'dist', 'cli', 'main.js')

async function load (url: string, connections: number, seconds: number, request: autocannon.Request): Promise<{ ok: number, failed: number }> {
  const result = await autocannon({ url, connections, duration: seconds, timeout: 30, requests: [request] })
  return { ok: result['2xx'], failed: result.non2xx + result.errors + result.timeouts }
}

async function json (url: string, init?: RequestInit): Promise<{ status: number, body: any }> {
  const response = await fetch(url, init)
  return { status: response.status, body: await response.json() }
}

const command = (letters: string): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(letters) })

describe('the service under the image\'s memory limit', { skip: existsSync(MAIN) ? false : 'dist/ is not built (npx tsc -p tsconfig.build.json)' }, () => {
  const nodeOptions = runtimeEnv(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).NODE_OPTIONS ?? ''
  let dataDir: string
  let child: ChildProcess
  let exited: Promise<number | string>
  let base: string
  let output = ''

  before(async () => {
    assert.match(nodeOptions, /--max-old-space-size=\d+/, 'the image sets the limit this test is about')
    dataDir = await mkdtemp(join(tmpdir(), 'overmind-memory-'))
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    child = spawn(process.execPath, [MAIN, 'serve'], {
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions, OVERMIND_HTTP_ADDR: `127.0.0.1:${port}`, OVERMIND_DATA_DIR: dataDir, OVERMIND_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
    exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')))
    for (let tries = 0; ; tries++) {
      const ready = await fetch(`${base}/readyz`).then((r) => r.status, () => 0)
      if (ready === 200) break
      if (tries > 600 || child.exitCode !== null) throw new Error(`the service did not become ready:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })
  after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    await rm(dataDir, { recursive: true, force: true })
  })

  it('when it is loaded as the bench\'s heaviest scenarios load it, then it answers every request and keeps serving', { timeout: 180_000 }, async () => {
    const spawns = await load(base, 50, 3, { method: 'POST', path: '/zerglings/' })
    const hot = (await json(`${base}/zerglings/`, { method: 'POST' })).body.zergling.id as string
    const commands = await load(base, 50, 3, { method: 'POST', path: `/zerglings/${hot}`, body: '"M"', headers: { 'content-type': 'application/json' } })

    // One zergling with a 100 000-command history (chunks and all), read whole at once.
    const long = (await json(`${base}/zerglings/`, { method: 'POST' })).body.zergling.id as string
    for (let i = 0; i < 100; i++) assert.equal((await fetch(`${base}/zerglings/${long}?history=none`, command('M'.repeat(1000)))).status, 200)
    const wholeHistory = await load(base, 20, 3, { method: 'GET', path: `/zerglings/${long}?history=all` })
    const defaults = await load(base, 10, 2, { method: 'POST', path: `/zerglings/${long}`, body: '"M"', headers: { 'content-type': 'application/json' } })
    const lists = await load(base, 10, 2, { method: 'GET', path: '/zerglings/?limit=1000' })

    for (const [name, { ok, failed }] of Object.entries({ spawns, commands, wholeHistory, defaults, lists })) {
      assert.ok(ok > 0, `${name}: some answered`)
      assert.equal(failed, 0, `${name}: ${failed} requests failed or answered other than 2xx\n${output.slice(-2000)}`)
    }
    assert.equal(child.exitCode, null, `the service exited:\n${output.slice(-2000)}`)
    const { status, body } = await json(`${base}/zerglings/${long}?history=none`)
    assert.equal(status, 200)
    // At least: autocannon stops counting with the last requests still in flight, which apply too.
    assert.ok(body.zergling.historyLength >= 100_000 + defaults.ok, `${body.zergling.historyLength} commands`)
    assert.doesNotMatch(output, /heap out of memory|Reached heap limit/)
  })
})
