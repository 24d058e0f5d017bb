// Issue 11, case 4: `overmind serve` on an embedded store whose directory is damaged. Before the
// fix it started ready with an empty list (and leveldb deleted the old table for good) or
// answered 404 for zerglings it held; now it refuses to start, says why in one sentence, and
// leaves every file as it found it.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { buildEmbeddedDirectory, damage, filesIn, type Damage } from '../support/embedded-files.js'
import { runOvermind } from '../support/overmind-process.js'

const root = await mkdtemp(join(tmpdir(), 'overmind-damaged-serve-'))
after(async () => { await rm(root, { recursive: true, force: true }) })

describe('when overmind serve starts on a damaged embedded store', () => {
  for (const how of ['CURRENT missing', 'MANIFEST missing', 'table truncated'] as Damage[]) {
    it(`with its ${how}, then it exits 1 with one sentence saying what to do and deletes nothing`, async () => {
      const dataDir = await mkdtemp(join(root, 'data-'))
      const dir = join(dataDir, 'zerglings')
      await buildEmbeddedDirectory(dataDir, 'zerglings', 20)
      await damage(dir, how)
      const before = await filesIn(dir)

      const serve = runOvermind(['serve'], { OVERMIND_DATA_DIR: dataDir, OVERMIND_HTTP_ADDR: '127.0.0.1:0' })
      const code = await serve.exited
      const output = serve.output()
      assert.equal(code, 1, output)
      const sentence = output.split('\n').find((line) => line.startsWith('overmind serve: '))
      assert.ok(sentence !== undefined, output)
      assert.ok(sentence.startsWith(`overmind serve: the embedded store in ${dir} is damaged (`), sentence)
      assert.match(sentence, /restore the directory from a backup, or move it aside to start with an empty store\.$/)
      assert.ok(!output.includes('    at '), 'no stack trace')
      assert.doesNotMatch(output, /Server listening/, 'it never served')
      const { LOG: _log, 'LOG.old': _old, ...after } = await filesIn(dir)
      const { LOG: _logBefore, 'LOG.old': _oldBefore, ...expected } = before
      assert.deepEqual(after, expected, 'every file is still there, at its size')
    })
  }
})
