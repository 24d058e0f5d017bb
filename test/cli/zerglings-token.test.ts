// `overmind zerglings` against a service whose writes need a bearer token: with
// OVERMIND_API_TOKEN_FILE naming the token's file (as in a pod that mounts the Secret) its
// writes carry it; without, a write is refused and says why, and reads still work.
// Needs dist/: `npx tsc -p tsconfig.build.json` before running this file alone.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBinary, startServeBinary } from '../support/overmind-binary.js'

const TOKEN = 'cli-write-token-5f3a9c'

describe('overmind zerglings against a service with protected writes', () => {
  let dir = ''
  let tokenFile = ''
  let serve: Awaited<ReturnType<typeof startServeBinary>> | undefined
  let url = ''
  const cli = async (env: Record<string, string>, ...args: string[]): ReturnType<typeof runBinary> => await runBinary(['zerglings', ...args, '--timeout', '20'], { OVERMIND_URL: url, ...env })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'overmind-cli-token-'))
    tokenFile = join(dir, 'token')
    await writeFile(tokenFile, `${TOKEN}\n`)
    serve = await startServeBinary({ OVERMIND_DATA_DIR: join(dir, 'data'), OVERMIND_API_TOKEN_FILE: tokenFile })
    url = serve.url
  })
  after(async () => {
    await serve?.stop()
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  it('when OVERMIND_API_TOKEN_FILE names the token, then spawn and move work, and the token is never printed', async () => {
    const withToken = { OVERMIND_API_TOKEN_FILE: tokenFile }
    const spawned = await cli(withToken, 'spawn', '--json')
    assert.equal(spawned.code, 0, spawned.stderr)
    const id: string = JSON.parse(spawned.stdout).zergling.id
    const moved = await cli(withToken, 'move', id, 'MRM', '--json')
    assert.equal(moved.code, 0, moved.stderr)
    assert.deepEqual(JSON.parse(moved.stdout).zergling.location, { x: 1, y: 1 })
    for (const text of [spawned.stdout, spawned.stderr, moved.stdout, moved.stderr, serve!.stdout()]) assert.ok(!text.includes(TOKEN), 'the token is never printed')
  })

  it('when no token is configured, then a write fails with the service\'s 401 reason, changes nothing, and reads still work', async () => {
    const before = await cli({}, 'list', '--json')
    assert.equal(before.code, 0, before.stderr)
    const refused = await cli({}, 'spawn')
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /401|unauthorized|Bearer/i)
    const after = await cli({}, 'list', '--json')
    assert.equal(after.stdout, before.stdout, 'nothing was spawned')
  })
})
