// A changes feed in memory for the change feed's unit tests: documents with integer positions,
// each shown once at its latest change (as CouchDB's feed does), `last_seq` the end of the log
// when a read is not cut by its limit, a longpoll that answers at the next write, and hooks that
// run before each read (to write while clients catch up) or make reads fail. Only `changes` is
// a store call here; the rest of ZerglingStore is not needed by the feed.
import type { ChangesRead } from '../../../src/store/change-rows.js'
import { StoreError } from '../../../src/store/store-error.js'
import type { ZerglingChange, ZerglingChangePage, ZerglingStore } from '../../../src/store/zergling-store.js'

export interface ChangeLog {
  store: ZerglingStore
  /** A new revision of zergling `n` (a UUID made from n); `deleted` writes its tombstone. */
  write (n: number, deleted?: boolean): void
  /** The end of the log. */
  readonly seq: number
  /** Every zergling's latest change, by id. */
  latest (): Map<string, { seq: number, generation: number }>
  /** Runs before each read answers (it may write). */
  beforeRead?: (read: ChangesRead) => Promise<void> | void
  /** The next `n` reads fail as CouchDB being away. */
  failNext (n: number): void
  reads: number
}

export function idOf (n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
}

export function createChangeLog (): ChangeLog {
  const docs = new Map<string, { seq: number, generation: number, deleted: boolean }>()
  let seq = 0
  let failing = 0
  const waiters = new Set<() => void>()

  function page (since: number, limit: number): ZerglingChangePage {
    const rows = [...docs.entries()].filter(([, doc]) => doc.seq > since).sort((a, b) => a[1].seq - b[1].seq).slice(0, limit)
    const changes = rows.map(([id, doc]): ZerglingChange => doc.deleted
      ? { type: 'deleted', seq: String(doc.seq), zergling: { id, rev: `${doc.generation}-x` } }
      : { type: doc.generation === 1 ? 'spawned' : 'moved', seq: String(doc.seq), zergling: { id, location: { x: doc.generation, y: 0 }, facing: 'N', historyLength: doc.generation - 1, commandHistory: [], rev: `${doc.generation}-x` } })
    const full = rows.length === limit
    return { changes, lastSeq: String(full ? rows[rows.length - 1]![1].seq : seq), complete: !full }
  }

  const log: ChangeLog = {
    reads: 0,
    get seq () { return seq },
    write (n, deleted = false) {
      const id = idOf(n)
      docs.set(id, { seq: ++seq, generation: (docs.get(id)?.generation ?? 0) + 1, deleted })
      for (const wake of waiters) wake()
    },
    latest: () => new Map([...docs].map(([id, { seq, generation }]) => [id, { seq, generation }])),
    failNext (n) { failing = n },
    store: {
      async changes (read: ChangesRead): Promise<ZerglingChangePage> {
        log.reads++
        if (!/^(now|\d+)$/.test(read.since)) throw new StoreError('invalid_cursor', 'unknown position')
        await log.beforeRead?.(read)
        if (failing > 0) {
          failing--
          throw new StoreError('unavailable', 'CouchDB cannot be reached (scripted).')
        }
        const since = read.since === 'now' ? seq : Number(read.since)
        const first = page(since, read.limit)
        if (first.changes.length > 0 || read.waitMs === 0 || read.signal?.aborted === true) return first
        await new Promise<void>((resolve) => {
          const done = (): void => { clearTimeout(timer); waiters.delete(done); resolve() }
          const timer = setTimeout(done, read.waitMs)
          waiters.add(done)
          read.signal?.addEventListener('abort', done, { once: true })
        })
        const givenUp: boolean = read.signal?.aborted ?? false
        return givenUp ? { changes: [], lastSeq: String(since), complete: true } : page(since, read.limit)
      }
    } as unknown as ZerglingStore
  }
  return log
}
