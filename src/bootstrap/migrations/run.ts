// Applies the pending migrations under the lease: each page by page from where the lease says
// the last holder stopped, renewing it between pages, then records it in the history. Returns
// what it applied; an empty list when another run applied everything meanwhile.
import { hostname } from 'node:os'
import type { MigrationDatabase } from './database.js'
import { readHistory, recordApplied, validateHistory, type AppliedMigration } from './history.js'
import { acquireLease, leaseOwner, type LeaseOptions } from './lease.js'
import type { Migration } from './migration.js'
import { migrationChecksum } from './checksum.js'

export async function applyMigrations (db: MigrationDatabase, migrations: readonly Migration[], options: LeaseOptions): Promise<AppliedMigration[]> {
  const lease = await acquireLease(db, leaseOwner(), options)
  const done: AppliedMigration[] = []
  try {
    // Read again under the lease: the run that held it may have applied them meanwhile.
    const { pending } = await validateHistory(await readHistory(db), migrations)
    for (const migration of pending) {
      const started = Date.now()
      const resuming = lease.resumeAt.migration === migration.id
      let after = resuming ? lease.resumeAt.after : undefined
      let changed = resuming ? lease.resumeAt.changed ?? 0 : 0
      if (after !== undefined) options.log(`${migration.id}: resuming after ${after}, where the last holder of the lock stopped (${changed} document(s) changed before).`)
      await lease.checkpoint({ migration: migration.id, after, changed })
      for (;;) {
        lease.assertHeld()
        const page = await migration.page(db, after, false)
        changed += page.changed
        after = page.next
        if (after === undefined) break
        await lease.checkpoint({ migration: migration.id, after, changed })
        options.log(`${migration.id}: ${changed} document(s) changed so far, next page after ${after}.`)
      }
      lease.assertHeld()
      const entry: AppliedMigration = {
        id: migration.id,
        description: migration.description,
        checksum: await migrationChecksum(migration.module),
        appliedAt: new Date().toISOString(),
        hostname: hostname(),
        // A resumed one's duration is this run's part of it.
        durationMs: Date.now() - started,
        documentsChanged: changed
      }
      if (await recordApplied(db, entry) === 'recorded') done.push(entry)
      await lease.checkpoint({})
      options.log(`${migration.id}: done, ${changed} document(s) changed in ${entry.durationMs} ms.`)
    }
  } finally {
    await lease.release()
  }
  return done
}

/** What a dry run says: per pending migration, how many documents it would change. */
export async function countPending (db: MigrationDatabase, pending: readonly Migration[]): Promise<Array<{ id: string, documents: number }>> {
  const counts: Array<{ id: string, documents: number }> = []
  for (const migration of pending) {
    let documents = 0
    let after: string | undefined
    do {
      const page = await migration.page(db, after, true)
      documents += page.changed
      after = page.next
    } while (after !== undefined)
    counts.push({ id: migration.id, documents })
  }
  return counts
}
