// What a migration is: code in this directory (NNN-name.ts), applied in id order, recorded once
// in the history document (history.ts) with the checksum of its source (checksum.ts). `page`
// does one page of the work and says where the next one starts; the runner renews the lease and
// keeps the cursor between pages (lease.ts), so a run killed at any point resumes at the page it
// was on. Every `page` must be idempotent: a document already in the new shape is skipped.
import type { MigrationDatabase } from './database.js'

export interface PageResult {
  /** Documents written (or, in a dry run, that would be). */
  changed: number
  /** Where the next page starts (exclusive); undefined when this was the last. */
  next?: string
}

export interface Migration {
  /** `NNN-name`, the file's name: the order, and the key in the history. */
  id: string
  description: string
  /** `import.meta.url` of the migration's file, whose source is its checksum. */
  module: string
  /** One page from `after` on. With `dryRun` it reads only and counts what it would change. */
  page: (db: MigrationDatabase, after: string | undefined, dryRun: boolean) => Promise<PageResult>
}
