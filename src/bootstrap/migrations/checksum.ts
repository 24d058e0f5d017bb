// The checksum of a migration is the SHA-256 of its TypeScript source, as Flyway checksums a SQL
// file: editing an applied migration changes it and `validate` says so. The source is read from
// the .ts file when running from src/ (tsx), and from the source map's `sourcesContent` when
// running from dist/ (tsconfig.build.json sets `inlineSources`), so a built image and a test run
// of the same file agree, whatever the compiler made of it.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

export async function migrationSource (module: string): Promise<string> {
  const file = fileURLToPath(module)
  if (file.endsWith('.ts')) return await readFile(file, 'utf8')
  const map = JSON.parse(await readFile(`${file}.map`, 'utf8')) as { sourcesContent?: unknown[] }
  const source = map.sourcesContent?.[0]
  if (typeof source !== 'string') throw new Error(`${file}.map carries no source: build with inlineSources (tsconfig.build.json).`)
  return source
}

export async function migrationChecksum (module: string): Promise<string> {
  return 'sha256:' + createHash('sha256').update(await migrationSource(module)).digest('hex')
}
