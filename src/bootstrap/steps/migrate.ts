// `migrate`: apply the migrations of src/bootstrap/migrations/ not yet in the database's history,
// in order, under the migration lock (lease.ts). Validation comes first and reads only: an
// applied migration whose code changed fails the step before anything is written. `--dry-run`
// says which would run and how many documents each would change, reading page by page.
import { BootstrapError } from '../bootstrap-error.js'
import { migrationDatabase } from '../migrations/database.js'
import { readHistory, validateHistory } from '../migrations/history.js'
import { MIGRATIONS } from '../migrations/index.js'
import { DEFAULT_LEASE_MS } from '../migrations/lease.js'
import type { Migration } from '../migrations/migration.js'
import { applyMigrations, countPending } from '../migrations/run.js'
import type { Step } from '../types.js'

export function migrateStep (migrations: readonly Migration[] = MIGRATIONS): Step<'migrate'> {
  return {
    name: 'migrate',
    describe: 'apply the data migrations not applied yet, one run at a time (a lease in the database)',
    async check (context) {
      const db = migrationDatabase(context)
      const exists = await db.exists()
      if (!exists && !context.dryRun) throw new BootstrapError(`Database "${db.name}" is missing: run the database step first.`)
      const applied = exists ? await readHistory(db) : []
      const { pending, unknown } = await validateHistory(applied, migrations)
      const newer = unknown.length === 0 ? '' : ` (${unknown.join(', ')} applied by a newer version, unknown to this one)`
      if (pending.length === 0) return { status: 'unchanged', message: `${applied.length} migration(s) applied, none pending${newer}.` }
      // Counting reads every page: only a dry run, which shows it, pays for it.
      const counts = exists && context.dryRun ? await countPending(db, pending) : pending.map((m) => ({ id: m.id, documents: 0 }))
      return {
        status: 'updated',
        plan: `would apply ${counts.map((c) => `${c.id} (${c.documents} document(s))`).join(', ')}${newer}.`,
        apply: async () => {
          const done = await applyMigrations(db, migrations, { leaseMs: context.settings.migrationLeaseMs ?? DEFAULT_LEASE_MS, sleep: context.sleep, log: context.log })
          if (done.length === 0) return { status: 'unchanged', message: `${pending.map((m) => m.id).join(', ')} applied meanwhile by another run.` }
          return { status: 'updated', message: `applied ${done.map((m) => `${m.id} (${m.documentsChanged} document(s) in ${m.durationMs} ms)`).join(', ')}.` }
        }
      }
    }
  }
}
