// Migrations as code: their ids, their order, and the checksum that validation compares.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { migrationChecksum } from '../../src/bootstrap/migrations/checksum.js'
import { MIGRATIONS } from '../../src/bootstrap/migrations/index.js'

const DIST = new URL('../../dist/bootstrap/migrations/', import.meta.url)

describe('migrations', () => {
  it('when listed, then each id is its file\'s name, NNN-name, and they are in id order', () => {
    for (const migration of MIGRATIONS) {
      assert.match(migration.id, /^\d{3}-[a-z0-9-]+$/)
      assert.equal(basename(fileURLToPath(migration.module)).replace(/\.[jt]s$/, ''), migration.id)
    }
    const ids = MIGRATIONS.map((migration) => migration.id)
    assert.deepEqual(ids, [...ids].sort())
    assert.equal(new Set(ids.map((id) => id.slice(0, 3))).size, ids.length, 'no number twice')
  })

  it('when checksummed, then it is the SHA-256 of the TypeScript source, and the built file (through its source map) gives the same', {
    skip: existsSync(DIST) ? false : 'dist/ is not built (npx tsc -p tsconfig.build.json)'
  }, async () => {
    for (const migration of MIGRATIONS) {
      const source = readFileSync(fileURLToPath(migration.module), 'utf8')
      const expected = 'sha256:' + createHash('sha256').update(source).digest('hex')
      assert.equal(await migrationChecksum(migration.module), expected)
      assert.equal(await migrationChecksum(new URL(`${migration.id}.js`, DIST).href), expected, `${migration.id} from dist/`)
    }
  })
})
