// The migration lock: a lease in one document, `overmind:migration-lock`, taken and renewed by
// writing it on the `_rev` read, so CouchDB's revision check decides between racing runs. The
// holder renews it every third of the lease while it works and after every page, saving there the
// migration and page it is at; a run that finds it held waits (and says so). Expiry is judged on the waiter's
// own clock — the same revision seen unchanged for a whole lease — so no two pods' clocks are
// compared; then the waiter takes it over, on that revision, and resumes at the saved page.
//
// On a cluster (n copies of each shard) a write's answer says how many copies took it
// (fabric_doc_update.erl, force_reply): 201 when `w` of them did, w defaulting to the quorum
// (n/2+1, 2 of 3); 202 Accepted when fewer did but at least one — even if every other copy
// answered 409. Two runs writing on the same revision cannot both reach a quorum of copies,
// since the copies that took one now hold a newer revision and refuse the other; but the
// second can still be answered 202, and its revision on the one copy that took it becomes a
// conflicting leaf after internal replication. So only 201 counts as holding the lock (never
// pass a lower `w`), a claim answered 202 is given up, and a conflicted lock document is first
// settled by deleting its losing leaves (read with conflicts=true). The lock saves work and
// keeps one runner in the logs; correctness does not rest on it: every document a migration
// writes is arbitrated by its own `_rev`, and the history lists a migration once (history.ts),
// so two holders in a split cluster would only do the same work twice.
// https://docs.couchdb.org/en/stable/cluster/theory.html (N, Q, W, R)
// https://github.com/apache/couchdb/blob/3.4.3/src/fabric/src/fabric_doc_update.erl
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { BootstrapError } from '../bootstrap-error.js'
import type { MigrationDatabase } from './database.js'

export const LOCK_ID = 'overmind:migration-lock'
export const DEFAULT_LEASE_MS = 30_000

export interface LockDocument {
  _id: string
  _rev?: string
  /** `hostname/pid/random`, or null when released. */
  owner: string | null
  leaseMs: number
  /** The holder's clock, for people reading it; waiters use their own. */
  renewedAt: string
  /** Where the holder was: the migration it is running and the last page it finished. */
  migration?: string
  after?: string
  /** Documents it changed in that migration so far, so that the history counts a resumed one whole. */
  changed?: number
}

export interface HeldLease {
  owner: string
  /** The migration and page the previous holder left off at (resume there), and what it had changed. */
  resumeAt: Place
  /** Saves where the holder is, renewing the lease with it; a page's write and its checkpoint are two writes, so a kill between them leaves that page's count out. */
  checkpoint: (place: Place) => Promise<void>
  /** Throws once another run has taken the lease over (this one was too slow to renew). */
  assertHeld: () => void
  release: () => Promise<void>
}

export interface Place { migration?: string, after?: string, changed?: number }

export interface LeaseOptions {
  leaseMs: number
  sleep: (ms: number) => Promise<void>
  log: (message: string) => void
  now?: () => number
}

export function leaseOwner (): string {
  return `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`
}

/** Waits for the lock as long as its holder renews it, then takes it. */
export async function acquireLease (db: MigrationDatabase, owner: string, { leaseMs, sleep, log, now = Date.now }: LeaseOptions): Promise<HeldLease> {
  let seen: { rev: string, since: number } | undefined
  let announced: string | undefined
  const poll = Math.max(50, Math.min(1000, Math.floor(leaseMs / 4)))
  for (;;) {
    const doc = await db.read(LOCK_ID, { conflicts: true }) as (LockDocument & { _rev: string, _conflicts?: string[] }) | undefined
    if (doc?._conflicts !== undefined && doc._conflicts.length > 0) {
      // Claims answered 202 on a cluster: none of them holds the lock (see above).
      for (const leaf of doc._conflicts) await db.remove(LOCK_ID, leaf)
      continue
    }
    if (doc !== undefined && doc._rev !== seen?.rev) seen = { rev: doc._rev, since: now() }
    const expired = doc !== undefined && seen !== undefined && now() - seen.since >= (doc.leaseMs ?? leaseMs)
    if (doc === undefined || doc.owner === null || expired) {
      if (expired && doc.owner !== null) log(`the migration lock of ${doc.owner} was not renewed for ${doc.leaseMs} ms: taking it over${doc.migration === undefined ? '' : ` (resuming ${doc.migration}${doc.after === undefined ? '' : ` after ${doc.after}`})`}.`)
      const claim: LockDocument = { _id: LOCK_ID, owner, leaseMs, renewedAt: new Date(now()).toISOString(), ...resumeOf(doc) }
      const written = await db.write({ ...claim, ...(doc === undefined ? {} : { _rev: doc._rev }) })
      if (written !== 'conflict' && written.quorum) return hold(db, { ...claim, _rev: written.rev }, resumeOf(doc), log)
      if (written !== 'conflict') await db.remove(LOCK_ID, written.rev)
      continue
    }
    if (announced !== doc.owner) {
      log(`waiting for the migration lock held by ${doc.owner} (renewed ${doc.renewedAt}, lease ${doc.leaseMs} ms${doc.migration === undefined ? '' : `, at ${doc.migration}`}).`)
      announced = doc.owner
    }
    await sleep(poll)
  }
}

function resumeOf (doc: LockDocument | undefined): Place {
  return JSON.parse(JSON.stringify({ migration: doc?.migration, after: doc?.after, changed: doc?.changed })) as Place
}

function hold (db: MigrationDatabase, held: LockDocument & { _rev: string }, resumeAt: HeldLease['resumeAt'], log: (message: string) => void): HeldLease {
  let current = held
  let lost: string | undefined
  let place = resumeAt
  let writing: Promise<void> = Promise.resolve()
  const renew = async (body: Partial<LockDocument>): Promise<void> => {
    if (lost !== undefined) return
    const next: LockDocument & { _rev: string } = { ...current, renewedAt: new Date().toISOString(), migration: undefined, after: undefined, changed: undefined, ...place, ...body }
    try {
      const written = await db.write(next)
      if (written === 'conflict' || !written.quorum) lost = 'another run took the migration lock over: this one was too slow to renew it'
      else current = { ...next, _rev: written.rev }
    } catch (error) {
      // A missed renewal is retried at the next tick; the lease outlives two of them.
      log(`renewing the migration lock failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const timer = setInterval(() => { writing = writing.then(async () => await renew({})) }, Math.max(20, Math.floor(held.leaseMs / 3)))
  timer.unref()
  return {
    owner: held.owner!,
    resumeAt,
    async checkpoint (next) {
      place = next
      writing = writing.then(async () => await renew({}))
      await writing
    },
    assertHeld () {
      if (lost !== undefined) throw new BootstrapError(`${lost}; it goes on from where this one stopped.`)
    },
    async release () {
      clearInterval(timer)
      await writing
      if (lost === undefined) await renew({ owner: null })
    }
  }
}
