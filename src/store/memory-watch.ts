// With `OVERMIND_READS=memory`, a GET of a zergling may be answered from what this replica
// remembers of it (document-memory.ts) instead of a CouchDB read — but only while this replica's
// own reading of CouchDB's changes feed vouches for it:
// - the feed has shown that very revision as the document's only leaf, and nothing after it (a
//   write of ours is served once its change comes back, typically within milliseconds);
// - any other revision in the feed (another replica's write, a conflict, a delete) takes the
//   zergling out of the memory, so the next command or GET reads it afresh;
// - a zergling read from CouchDB is vouched for at once only if the feed has shown nothing of it
//   since before that read began (no row, and none forgotten);
// - nothing is served until the feed has caught up, nor while its last read is older than the
//   longpoll's wait plus a margin (CouchDB unreachable, or this replica cut off from it).
// So a GET through one replica shows another replica's change as soon as the feed brings it here
// (that delay is what a read may lag), never a state CouchDB did not hold, and a replica's own
// writes at once (its memory moves with them). The feed is read with `style=all_docs` and no
// bodies: https://docs.couchdb.org/en/stable/api/database/changes.html
import { setTimeout as sleep } from 'node:timers/promises'
import { LRUCache } from 'lru-cache'
import { isZerglingId } from '../domain/zergling-id.js'
import type { DocumentBackend } from './document-backend.js'
import type { DocumentMemory } from './document-memory.js'
import { revisionGeneration } from './revisions.js'
import { isStoreError } from './store-error.js'
import type { ZerglingRecord } from './zergling-document.js'

export interface MemoryWatchOptions {
  /** How long one longpoll waits for a change before CouchDB answers empty; also the health window's base. */
  waitMs?: number
  /** How many zerglings' latest feed revisions are kept (least recently seen out first). */
  seenLimit?: number
  retry?: { firstMs: number, maxMs: number }
}

export interface MemoryWatch {
  /** The remembered record of `id` when the feed vouches for it now, else undefined. */
  vouched (id: string): ZerglingRecord | undefined
  /** A marker to take before a read from CouchDB, for `readDone` (-1: that read cannot be vouched for). */
  readStarted (): number
  /** After a conflict-free read of `rev` that began at `marker` (and was remembered). */
  readDone (id: string, rev: string, marker: number): void
  stop (): Promise<void>
}

/** What the feed said of a zergling: its current revision, or '' for "not servable" (conflicted, deleted). */
type Seen = string

export function startMemoryWatch (backend: DocumentBackend, memory: DocumentMemory, options: MemoryWatchOptions = {}): MemoryWatch {
  const { waitMs = 1000, seenLimit = 50_000, retry = { firstMs: 250, maxMs: 5000 } } = options
  const changes = backend.changes?.bind(backend)
  if (changes === undefined) throw new Error('memory reads need a store with a changes feed')
  // What the feed forgot (an eviction from `seen`, a restart from now) moves this on: a read that
  // began before cannot tell whether the feed showed a later revision of its zergling meanwhile.
  let forgetting = 0
  const seen = new LRUCache<string, Seen>({ max: seenLimit, dispose: (_value, _key, reason) => { if (reason === 'evict') forgetting++ } })
  const controller = new AbortController()
  /** When the last feed read that reached the end of the feed finished; 0: none since the last failure. */
  let caughtUpAt = 0
  let stopped = false

  const fresh = (): boolean => caughtUpAt > 0 && Date.now() - caughtUpAt < waitMs + HEALTH_MARGIN_MS

  function apply (id: string, rev: string, deleted: boolean, leaves: number): void {
    const current = deleted || leaves > 1 ? '' : rev
    seen.set(id, current)
    const known = memory.recall(id)
    if (known === undefined || known.rev === current) return
    // A write of ours newer than what the feed has reached stays (its own change is on the way),
    // unless the feed shows a conflict or a delete.
    if (current !== '' && revisionGeneration(known.rev) > revisionGeneration(rev)) return
    memory.forget(id)
  }

  async function loop (): Promise<void> {
    let since = 'now'
    let delay = retry.firstMs
    // `stopped` changes while a read awaits (stop()), hence the test after each await.
    for (;;) {
      try {
        const page = await changes!({ since, limit: PAGE_ROWS, waitMs: since === 'now' ? 0 : waitMs, signal: controller.signal, leavesOnly: true })
        if (stopped) return
        // History chunks, design and bookkeeping documents are never remembered: they would only crowd `seen`.
        for (const row of page.rows) if (isZerglingId(row.id)) apply(row.id, row.rev, row.deleted, row.leaves ?? 1)
        since = page.lastSeq
        caughtUpAt = page.rows.length < PAGE_ROWS ? Date.now() : caughtUpAt
        delay = retry.firstMs
      } catch (error) {
        if (stopped) return
        caughtUpAt = 0
        // A position CouchDB no longer knows (the database was recreated): start again from now,
        // with nothing remembered, since what the feed said of it is of another database.
        if (isStoreError(error, 'invalid_cursor') || isStoreError(error, 'missing_database')) {
          since = 'now'
          seen.clear()
          forgetting++
        }
        await sleep(delay * (0.5 + Math.random() / 2), undefined, { signal: controller.signal }).catch(() => {})
        delay = Math.min(delay * 2, retry.maxMs)
      }
    }
  }
  const running = loop()

  return {
    vouched (id) {
      if (!fresh()) return undefined
      const record = memory.recall(id)
      return record !== undefined && seen.get(id) === record.rev ? record : undefined
    },
    // Only while the feed is reading: a change made before its first position is not in it.
    readStarted: () => fresh() ? forgetting : -1,
    readDone (id, rev, marker) {
      // A row of this zergling since the read began (seen.has) may be newer than what it read.
      if (marker !== forgetting || seen.has(id) || memory.recall(id)?.rev !== rev) return
      seen.set(id, rev)
    },
    async stop () {
      stopped = true
      controller.abort()
      await running
    }
  }
}

/** Rows per feed read: more than the writes of one longpoll's wait on a busy replica set. */
const PAGE_ROWS = 1000
/** How much older than one longpoll wait the last caught-up read may be before nothing is served. */
const HEALTH_MARGIN_MS = 500
