// Issue 11, cases 1 and 3: the real `overmind serve` on the embedded store, its data directory on
// a small tmpfs that fills up and gets space back. Readiness must say so while writes fail, and
// every command it acknowledged must survive a SIGTERM restart and a kill -9 restart — also a
// kill -9 while the disk is still full, before the store could reopen its torn log.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startServe, type OvermindProcess } from '../support/overmind-process.js'
import { mountTmpfs, type Tmpfs } from '../support/tmpfs.js'
import { send, describeAnswer, type Answer } from './support/client.js'
import { judge, readTags, readZergling, replay, tagFor, type Outcome } from './support/commands.js'
import { ledger, recordLedgerFor } from './support/ledger.js'
import { sleep } from './support/load.js'

recordLedgerFor(import.meta.url)

const probe = await mountTmpfs(1 << 20)
const skip = typeof probe === 'string' ? probe : false
if (typeof probe !== 'string') await probe.unmount()

type Serve = OvermindProcess & { baseUrl: string }

describe('when the embedded store\'s disk fills up and gets space back', { skip }, () => {
  let disk: Tmpfs
  let serve: Serve
  const outcomes = new Map<string, Map<number, Outcome>>()
  const start = async (): Promise<Serve> => await startServe({ OVERMIND_DATA_DIR: disk.dir })

  before(async () => {
    disk = await mountTmpfs(4 << 20) as Tmpfs
    serve = await start()
    for (let i = 0; i < 6; i++) outcomes.set((await send(`${serve.baseUrl}/zerglings/`, { method: 'POST' })).json().zergling.id, new Map())
  })
  after(async () => {
    await serve?.kill('SIGKILL')
    await disk?.unmount()
  })

  /** One command to each zergling in turn; true when it was acknowledged. */
  let turn = 0
  async function command (): Promise<{ ok: boolean, answer: Answer }> {
    const ids = [...outcomes.keys()]
    const id = ids[turn++ % ids.length]!
    const tags = outcomes.get(id)!
    const tag = tags.size
    const answer = await send(`${serve.baseUrl}/zerglings/${id}?history=none`, { body: JSON.stringify(tagFor(tag)) })
    assert.ok(answer.status === 200 || answer.status === 503, `a command answers 200 or 503, not ${describeAnswer(answer)}`)
    tags.set(tag, answer.status === 200 ? 'acknowledged' : 'failed')
    return { ok: answer.status === 200, answer }
  }

  async function readiness (): Promise<{ status: number, reason?: string }> {
    const answer = await send(`${serve.baseUrl}/readyz`)
    return { status: answer.status, reason: answer.json().reason }
  }

  async function waitForReadiness (status: number, timeoutMs = 20_000): Promise<{ status: number, reason?: string }> {
    const deadline = Date.now() + timeoutMs
    let ready = await readiness()
    while (ready.status !== status && Date.now() < deadline) {
      await sleep(100)
      ready = await readiness()
    }
    return ready
  }

  /** Fills the disk and sends commands until one fails; returns the failed answer's body. */
  async function fillUntilAFailure (): Promise<{ error: string, reason: string }> {
    await disk.fill()
    for (let i = 0; i < 20_000; i++) {
      const { ok, answer } = await command()
      if (!ok) return answer.json()
    }
    throw new Error('the disk never filled')
  }

  async function assertNothingLostOrDoubled (): Promise<void> {
    const problems: string[] = []
    for (const [id, tags] of outcomes) {
      const stored = await readZergling(serve.baseUrl, id)
      const verdict = judge(tags, readTags(stored.history))
      ledger.add({ lost: verdict.lost.length, appliedTwice: verdict.appliedTwice.length + verdict.strangers.length, appliedDespiteError: verdict.appliedDespiteError.length })
      if (verdict.lost.length + verdict.appliedTwice.length + verdict.appliedDespiteError.length + verdict.strangers.length > 0) {
        problems.push(`${id}: lost ${verdict.lost.join(',')} twice ${verdict.appliedTwice.join(',')} despite an error ${verdict.appliedDespiteError.join(',')}`)
      }
      assert.deepEqual({ location: stored.location, facing: stored.facing }, replay(stored.history), 'the state is the replay of the stored history')
    }
    assert.deepEqual(problems, [], 'nothing acknowledged lost, nothing failed applied, nothing doubled')
  }

  it('then commands answer 503 naming the embedded store and the full disk, /readyz is 503 with that reason, and both recover by themselves once there is space', async () => {
    const failed = await fillUntilAFailure()
    assert.equal(failed.error, 'brain_unavailable')
    assert.match(failed.reason, /^The embedded store cannot write: the disk under its data directory is full/)
    const unready = await waitForReadiness(503, 5000)
    assert.equal(unready.status, 503, 'unready within seconds of writes failing')
    assert.equal(unready.reason, failed.reason)
    const health = (await send(`${serve.baseUrl}/_health`)).json()
    assert.equal(health.health.brain, 'damaged')
    for (let i = 0; i < 10; i++) assert.equal((await command()).ok, false, 'nothing is acknowledged while the disk is full')

    await disk.unfill()
    assert.equal((await waitForReadiness(200)).status, 200, 'ready again by itself')
    for (let i = 0; i < 50; i++) assert.equal((await command()).ok, true, 'commands work again')
    assert.match(serve.output(), /the embedded store stopped serving after a failed write/)
    assert.match(serve.output(), /the embedded store serves again/)
  })

  it('then every acknowledged command survives a SIGTERM restart', async () => {
    assert.equal(await serve.kill('SIGTERM'), 0)
    serve = await start()
    await assertNothingLostOrDoubled()
  })

  it('then after another disk-full episode every acknowledged command survives a kill -9 restart', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await command()).ok, true)
    await fillUntilAFailure()
    await disk.unfill()
    assert.equal((await waitForReadiness(200)).status, 200)
    for (let i = 0; i < 50; i++) assert.equal((await command()).ok, true)
    assert.equal(await serve.kill('SIGKILL'), 'SIGKILL')
    serve = await start()
    await assertNothingLostOrDoubled()
  })

  it('then when killed while the disk is still full (its log torn, not yet reopened), every acknowledged command survives the restart', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await command()).ok, true)
    await fillUntilAFailure()
    for (let i = 0; i < 10; i++) assert.equal((await command()).ok, false)
    assert.equal(await serve.kill('SIGKILL'), 'SIGKILL')
    await disk.unfill()
    serve = await start()
    await assertNothingLostOrDoubled()
    for (let i = 0; i < 20; i++) assert.equal((await command()).ok, true, 'and it takes commands')
  })
})
