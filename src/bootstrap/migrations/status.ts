// `overmind bootstrap migrate --status`: one line per migration this version knows or the
// database lists — when, by which pod, how long, how many documents, and whether its code still
// has the checksum recorded — then the lock. Not ok (exit 1) when a checksum changed.
import type { StepContext } from '../types.js'
import { migrationDatabase } from './database.js'
import { checksums, readHistory } from './history.js'
import { MIGRATIONS } from './index.js'
import { LOCK_ID, type LockDocument } from './lease.js'
import type { Migration } from './migration.js'

export async function migrationStatus (context: StepContext, migrations: readonly Migration[] = MIGRATIONS): Promise<{ ok: boolean, text: string }> {
  const db = migrationDatabase(context)
  if (!await db.exists()) return { ok: true, text: `database "${db.name}" does not exist yet: every migration is pending.` }
  const applied = await readHistory(db)
  const sums = await checksums(migrations)
  const ids = [...new Set([...migrations.map((m) => m.id), ...applied.map((a) => a.id)])].sort()
  let ok = true
  const lines = [['migration', 'state', 'applied at', 'by', 'took', 'documents'].join('\t')]
  for (const id of ids) {
    const entry = applied.find((a) => a.id === id)
    if (entry === undefined) {
      lines.push([id, 'pending', '-', '-', '-', '-'].join('\t'))
      continue
    }
    const code = sums.get(id)
    const state = code === undefined ? 'applied (unknown to this version)' : code === entry.checksum ? 'applied' : `CHECKSUM CHANGED (recorded ${entry.checksum}, code ${code})`
    if (code !== undefined && code !== entry.checksum) ok = false
    lines.push([id, state, entry.appliedAt, entry.hostname, `${(entry.durationMs / 1000).toFixed(1)} s`, String(entry.documentsChanged)].join('\t'))
  }
  const lock = await db.read(LOCK_ID) as LockDocument | undefined
  lines.push(lock === undefined || lock.owner === null
    ? 'lock: free'
    : `lock: held by ${lock.owner}, renewed ${lock.renewedAt} (lease ${lock.leaseMs} ms)${lock.migration === undefined ? '' : `, at ${lock.migration}${lock.after === undefined ? '' : ` after ${lock.after}`}`}`)
  return { ok, text: lines.join('\n') }
}
