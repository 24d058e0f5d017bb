// Nightly backups into one directory (the CronJob's volume): each is written as
// `zerglings-<UTC time>.jsonl.partial` and renamed when complete, so a backup that was stopped is
// never taken for one; after a complete one, only the newest `keep` complete backups stay, and
// what stopped runs left behind goes too.
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

const COMPLETE = /^(.+)-\d{8}T\d{6}Z\.jsonl$/
const LEFT_BEHIND = /^(.+)-\d{8}T\d{6}Z\.jsonl\.(partial|log)$/

/** `zerglings-20261201T030000Z.jsonl`: names sort by time. */
export function backupName (database: string, at = new Date()): string {
  return `${database}-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}.jsonl`
}

/** Removes all but the newest `keep` complete backups of `database`, and leftovers of stopped runs; answers what it removed. */
export async function pruneBackups (directory: string, database: string, keep: number, current: string): Promise<string[]> {
  const names = await readdir(directory)
  const complete = names.filter((name) => COMPLETE.exec(name)?.[1] === database).sort()
  const leftovers = names.filter((name) => LEFT_BEHIND.exec(name)?.[1] === database && !name.startsWith(current))
  const removed = [...complete.slice(0, Math.max(0, complete.length - keep)), ...leftovers]
  for (const name of removed) await rm(join(directory, name), { force: true })
  return removed
}
