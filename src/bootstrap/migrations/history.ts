// The history of applied migrations: one document, `overmind:migrations`, in the application
// database (its id sorts after every zergling and chunk id, and it is no zergling, so neither the
// list nor the change stream shows it). Each migration is listed once: a run appends its entry
// on the `_rev` it read, and a 409 makes it read again and append only if still absent, so two
// runs that both finished one (a lease taken over from a holder that was only slow) record it once.
// Validation works like Flyway's `validate`: an applied migration whose code has changed fails.
import { BootstrapError } from '../bootstrap-error.js'
import { migrationChecksum } from './checksum.js'
import type { MigrationDatabase } from './database.js'
import type { Migration } from './migration.js'

export const HISTORY_ID = 'overmind:migrations'

export interface AppliedMigration {
  id: string
  description: string
  checksum: string
  /** ISO time the run finished it. */
  appliedAt: string
  /** Which pod ran it (os.hostname(): the pod's name in Kubernetes). */
  hostname: string
  durationMs: number
  documentsChanged: number
}

export async function readHistory (db: MigrationDatabase): Promise<AppliedMigration[]> {
  const doc = await db.read(HISTORY_ID)
  return Array.isArray(doc?.applied) ? doc.applied as AppliedMigration[] : []
}

export async function recordApplied (db: MigrationDatabase, entry: AppliedMigration): Promise<'recorded' | 'already'> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const doc = await db.read(HISTORY_ID)
    const applied = Array.isArray(doc?.applied) ? doc.applied as AppliedMigration[] : []
    if (applied.some((known) => known.id === entry.id)) return 'already'
    const written = await db.write({ ...(doc ?? { _id: HISTORY_ID }), applied: [...applied, entry] })
    if (written !== 'conflict') return 'recorded'
  }
  throw new BootstrapError(`The migration history ${HISTORY_ID} kept changing; run the migration again.`)
}

export interface Validated {
  /** Migrations of this code not in the history yet, in order. */
  pending: Migration[]
  /** Applied ids this code does not know (a newer version applied them: a rollback). */
  unknown: string[]
}

/** The code's checksum of each migration, by id. */
export async function checksums (migrations: readonly Migration[]): Promise<Map<string, string>> {
  return new Map(await Promise.all(migrations.map(async (m) => [m.id, await migrationChecksum(m.module)] as const)))
}

/** Throws BootstrapError naming every applied migration whose code changed. */
export async function validateHistory (applied: readonly AppliedMigration[], migrations: readonly Migration[]): Promise<Validated> {
  const sums = await checksums(migrations)
  const changed = applied.filter((entry) => sums.has(entry.id) && sums.get(entry.id) !== entry.checksum)
  if (changed.length > 0) {
    throw new BootstrapError(changed.map((entry) =>
      `migration ${entry.id} was applied on ${entry.appliedAt} by ${entry.hostname} with checksum ${entry.checksum}, but its code now has ${sums.get(entry.id)!}`
    ).join('; ') + '. An applied migration must never change: restore its file and put the change in a new migration.')
  }
  const ids = new Set(applied.map((entry) => entry.id))
  return {
    pending: migrations.filter((m) => !ids.has(m.id)),
    unknown: applied.filter((entry) => !sums.has(entry.id)).map((entry) => entry.id)
  }
}
