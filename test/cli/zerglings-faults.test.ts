// The fault test as a user runs it: `overmind serve` (the built binary) with 30 % of API
// requests faulted, latency on and 30 % of writes losing their answer; `overmind zerglings`
// retries each 503 after its Retry-After with the same Idempotency-Key, so every command is
// applied exactly once. With NODE_ENV=production the service refuses to start with a fault on.
// Needs dist/: `npx tsc -p tsconfig.build.json` before running this file alone.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBinary, startServeBinary } from '../support/overmind-binary.js'

const FAULTS = { OVERMIND_FAULT_ERROR_RATE: '0.3', OVERMIND_FAULT_LATENCY: '1-5ms', OVERMIND_FAULT_LOST_ANSWER_RATE: '0.3' }

describe('overmind zerglings against a service that injects faults', () => {
  let dataDir = ''
  let serve: Awaited<ReturnType<typeof startServeBinary>> | undefined
  let url = ''
  const cli = async (...args: string[]): ReturnType<typeof runBinary> => await runBinary(['zerglings', ...args, '--timeout', '60'], { OVERMIND_URL: url })

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'overmind-faults-'))
    serve = await startServeBinary({ ...FAULTS, OVERMIND_DATA_DIR: dataDir })
    url = serve.url
  })
  after(async () => {
    await serve?.stop()
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true })
  })

  it('when it starts with faults on, then its log says so loudly in one warning listing every fault that is on', () => {
    const warnings = serve!.stdout().split('\n').filter((line) => line.includes('FAULT INJECTION IS ON')).map((line) => JSON.parse(line))
    assert.equal(warnings.length, 1)
    assert.equal(warnings[0].level, 40)
    for (const name of Object.keys(FAULTS)) assert.ok(warnings[0].msg.includes(name), name)
    assert.deepEqual(warnings[0].faults, { errorRate: 0.3, latency: { minMs: 1, maxMs: 5 }, lostAnswerRate: 0.3 })
  })

  it('when a zergling is spawned and moved with the CLI, then every command is applied exactly once despite the 503s it retried', async () => {
    const spawned = await cli('spawn', '--json')
    assert.equal(spawned.code, 0, spawned.stderr)
    const id: string = JSON.parse(spawned.stdout).zergling.id
    const sent = ['M', 'R', 'M', 'LM', 'M', 'RRM', 'L', 'MM']
    let notices = spawned.stderr
    for (const commands of sent) {
      // An id prefix, as a user types it: its lookup is an API request that may be faulted too.
      const moved = await cli('move', id.slice(0, 8), commands, '--json')
      assert.equal(moved.code, 0, moved.stderr)
      notices += moved.stderr
    }
    const shown = await cli('get', id, '--json', '--history', 'all')
    assert.equal(shown.code, 0, shown.stderr)
    const zergling = JSON.parse(shown.stdout).zergling
    assert.equal(zergling.historyLength, sent.join('').length)
    assert.equal(zergling.commandHistory.join(''), sent.join(''))
    assert.deepEqual({ location: zergling.location, facing: zergling.facing }, { location: { x: 3, y: 2 }, facing: 'E' })
    // 8 moves and a spawn take at least 17 requests: at a 30 % error rate some were retried.
    assert.match(notices + shown.stderr, /fault_injected\); trying again/)
  })
})

describe('overmind serve with NODE_ENV=production', () => {
  it('when a fault is on, then it refuses to start, exit code 2, naming the variable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'overmind-faults-'))
    try {
      for (const [name, value] of Object.entries(FAULTS)) {
        const run = await runBinary(['serve'], { NODE_ENV: 'production', [name]: value, OVERMIND_DATA_DIR: dataDir, OVERMIND_HTTP_ADDR: '127.0.0.1:0' })
        assert.equal(run.code, 2, run.stderr)
        assert.match(run.stderr, new RegExp(`^overmind serve: ${name} injects faults, which is refused with NODE_ENV=production`))
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
