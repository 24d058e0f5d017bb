// An embedded store's leveldb directory with data in a table file, and the ways it gets damaged
// in the field: a lost CURRENT, MANIFEST or table, a truncated table, a table whose middle rotted.
import { open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { parseCommands } from '../../src/domain/index.js'
import { createPouchStore } from '../../src/store/pouch-store.js'

export type Damage = 'CURRENT missing' | 'MANIFEST missing' | 'table missing' | 'table truncated' | 'table rotten'

/**
 * Spawns `count` zerglings (each with a few commands) under `dataDir/database` and closes the
 * store twice, so that leveldb's recovery moved them from the log into a table file.
 */
export async function buildEmbeddedDirectory (dataDir: string, database: string, count: number): Promise<string[]> {
  const store = await createPouchStore({ dataDir, database })
  const ids: string[] = []
  try {
    for (let i = 0; i < count; i++) {
      const { id } = (await store.spawn()).result
      await store.command(id, { commands: parseCommands('MRM'), history: 'none' })
      ids.push(id)
    }
  } finally {
    await store.close()
  }
  await (await createPouchStore({ dataDir, database })).close()
  return ids
}

/** Every file in the directory with its size: what "nothing was deleted or changed" compares. */
export async function filesIn (dir: string): Promise<Record<string, number>> {
  const files: Record<string, number> = {}
  for (const name of (await readdir(dir)).sort()) files[name] = (await stat(join(dir, name))).size
  return files
}

export async function tableFiles (dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.ldb')).sort()
}

export async function damage (dir: string, how: Damage): Promise<void> {
  const [table] = await tableFiles(dir)
  if (table === undefined && how.startsWith('table')) throw new Error(`no table file in ${dir} to damage`)
  switch (how) {
    case 'CURRENT missing':
      await rm(join(dir, 'CURRENT'))
      return
    case 'MANIFEST missing':
      await rm(join(dir, (await readFile(join(dir, 'CURRENT'), 'utf8')).trim()))
      return
    case 'table missing':
      await rm(join(dir, table!))
      return
    case 'table truncated': {
      const path = join(dir, table!)
      await truncate(path, Math.floor((await stat(path)).size / 2))
      return
    }
    case 'table rotten': {
      // Bytes a quarter into the table overwritten: its footer (and so its magic number) stays.
      const path = join(dir, table!)
      const file = await open(path, 'r+')
      try {
        const { size } = await file.stat()
        await file.write(new Uint8Array(Math.floor(size / 4)).fill(0x5a), 0, Math.floor(size / 4), Math.floor(size / 4))
      } finally {
        await file.close()
      }
    }
  }
}
