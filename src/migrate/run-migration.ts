// `overmind migrate`: refuse a target that holds other zerglings (unless merging), replicate,
// verify, report. Each step is safe to repeat, so is the whole: a rerun replicates only what is
// missing (nothing, after a complete run) and verifies again.
import type { Endpoint } from '../transfer/endpoints.js'
import { REVISIONS_KEPT } from '../store/open-pouch.js'
import { findForeignZerglings } from './foreign-zerglings.js'
import { TransferError } from '../transfer/transfer-error.js'
import { replicateAll, type ReplicationProgress } from './replication.js'
import { verifyCopy, type Verification } from './verification.js'

export interface MigrationOptions {
  source: Endpoint
  target: Endpoint
  /** Copy beside zerglings the target already holds. */
  merge: boolean
  onProgress?: (progress: ReplicationProgress) => void
  /** Told when a phase starts: refusal check, copy, verification. */
  onPhase?: (phase: 'checking' | 'copying' | 'verifying') => void
}

export interface MigrationReport {
  ok: boolean
  source: string
  target: string
  merge: boolean
  /** Zerglings the target held that are not the source's (copied beside them with --merge). */
  foreignZerglings: number
  copied: { docsRead: number, docsWritten: number, docWriteFailures: number, errors: string[] }
  verified: Verification
  /** Of the copy alone, and the rates for the zerglings and commands it verified (0 when it copied nothing). */
  seconds: number
  zerglingsPerSecond: number
  commandsPerSecond: number
}

export async function runMigration ({ source, target, merge, onProgress = () => {}, onPhase = () => {} }: MigrationOptions): Promise<MigrationReport> {
  onPhase('checking')
  const foreign = await findForeignZerglings(source.db, target.db)
  if (foreign.count > 0 && !merge) {
    throw new TransferError(`The target ${target.name} holds ${foreign.count} zergling${foreign.count === 1 ? '' : 's'} that ${foreign.count === 1 ? 'is' : 'are'} not from this source (${foreign.examples.join(', ')}${foreign.count > foreign.examples.length ? ', …' : ''}): nothing was copied. A zergling an earlier run copied counts as not from this source once it moved on the target, or more than ${REVISIONS_KEPT} times in this store, since. Migrate into an empty database, or add --merge to copy this store's zerglings beside them.`)
  }
  onPhase('copying')
  const started = performance.now()
  const copied = await replicateAll(source.db, target.db, onProgress)
  const seconds = (performance.now() - started) / 1000
  onPhase('verifying')
  const verified = await verifyCopy(source.db, target.db)
  // A rate of what this run copied: a rerun that copied nothing has none.
  const rate = (count: number): number => seconds > 0 && copied.docsWritten > 0 ? Math.round(count / seconds) : 0
  return {
    ok: verified.mismatchCount === 0 && copied.docWriteFailures === 0 && copied.errors.length === 0,
    source: source.name,
    target: target.name,
    merge,
    foreignZerglings: foreign.count,
    copied,
    verified,
    seconds: Math.round(seconds * 1000) / 1000,
    zerglingsPerSecond: rate(verified.zerglings),
    commandsPerSecond: rate(verified.commands)
  }
}
