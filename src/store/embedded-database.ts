// The embedded store's leveldb database (PouchDB 9 on leveldown 6.1.1, leveldb 1.20): one per
// directory in this process, shared by every store opened on it, which never acknowledges what
// the disk did not keep and never serves a broken database as healthy.
//
// What leveldb and PouchDB do, and what this does about it (sources: node_modules/leveldown/
// deps/leveldb/leveldb-1.20/db/db_impl.cc, db/log_writer.cc; node_modules/pouchdb/lib/index.js):
// - A failed log append tears the log and leveldb keeps appending after the tear, answering
//   "ok" for writes that recovery will skip. guarded-leveldown.ts makes the failed write the
//   last one on its handle; this module then stops serving, closes the database and reopens it,
//   so recovery replays the log up to the tear and starts a fresh log. It retries with backoff
//   while reopening fails (disk still full), and serves again only after a test write worked.
//   A write that failed changed nothing: leveldb did not apply it to its memtable, and recovery
//   drops its partial record (glibc's libio/fileops.c `new_do_write` empties the stdio buffer
//   whatever write() managed, so the rest never reaches the file): the tests check both.
// - A failed background compaction sets `bg_error_`, which fails every later write until the
//   database is reopened (`MakeRoomForWrite`): the same reopen clears it.
// - Reads: PouchDB answers any read error as 404, and an `allDocs` with `include_docs` whose
//   document read fails throws a TypeError out of a callback (it crashes the process). Read
//   errors are therefore reported below PouchDB, and a damaged read stops the store for good.
// - PouchDB passes its options through to leveldown's open (`createIfMissing`, used by
//   leveldb-directory.ts's verdict); leveldown has no `paranoidChecks` and no `verifyChecksums`,
//   and PouchDB writes with `sync: false` (see README, "Nothing lost, nothing doubled").
// Reopening in-process (rather than exiting for Kubernetes to restart the pod) is safe because
// every store in this process on one directory goes through this one object, which lets its
// calls settle before closing: nothing else holds the leveldb handle it closes. It is also what
// keeps `npm start` without Kubernetes serving after a disk was full for a moment.
// (Over 200 lines: the notes above, then one state machine — ready, failing, damaged, closed.)
import { openDocumentCache, type DocumentCache } from './document-cache.js'
import { watchLeveldb } from './guarded-leveldown.js'
import { leveldbFailureCause } from './leveldb-failure.js'
import { openCheckedPouch, probeWrite, type EmbeddedLogger, type Pouch } from './open-pouch.js'
import { documentAnswerError, StoreError, StoreOpenError } from './store-error.js'
import { describeFailure, type StoreFailure } from './store-failure.js'
import type { BrainStatus } from './zergling-store.js'

export type { EmbeddedLogger, Pouch }

export interface EmbeddedDatabase {
  readonly cache: DocumentCache
  /**
   * The cached document, without a turn of the event loop, while the database is usable;
   * undefined otherwise (a read then says why). What a GET costs is mostly this (bench/NOTES.md).
   */
  cached (id: string): unknown
  /**
   * Runs `operation` on the open database; StoreError `unavailable` whenever it is not usable,
   * also when it stopped being usable while a read ran (PouchDB may have answered 404 for it).
   */
  read<T> (operation: (db: Pouch) => Promise<T>): Promise<T>
  /** The same for a write, except that a write leveldb took is a success whatever came after. */
  write<T> (operation: (db: Pouch) => Promise<T>): Promise<T>
  /** Ready means a write worked within the last second (a test write is made when none did). */
  check (): Promise<BrainStatus>
  release (): Promise<void>
}

const PROBE_EVERY_MS = 1000
const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 5000

const opened = new Map<string, { users: number, shared: Promise<Shared> }>()
/** A new open waits for the last one on its directory to close: PouchDB would reuse that handle. */
const closing = new Map<string, Promise<void>>()

type Shared = Omit<EmbeddedDatabase, 'release'> & { close: () => Promise<void> }

/** Throws StoreOpenError (one sentence naming the directory) when it cannot be opened. */
export async function openEmbeddedDatabase (location: string, logger: EmbeddedLogger): Promise<EmbeddedDatabase> {
  await closing.get(location)
  let entry = opened.get(location)
  if (entry === undefined) {
    entry = { users: 0, shared: openShared(location, logger) }
    opened.set(location, entry)
    entry.shared.catch(() => { opened.delete(location) })
  }
  entry.users++
  const shared = await entry.shared
  let released = false
  return {
    cache: shared.cache,
    cached: shared.cached,
    read: shared.read,
    write: shared.write,
    check: shared.check,
    release: async () => {
      if (released) return
      released = true
      if (--entry.users > 0) return
      opened.delete(location)
      const closed = shared.close().finally(() => { if (closing.get(location) === closed) closing.delete(location) })
      closing.set(location, closed)
      await closed
    }
  }
}

async function openShared (location: string, logger: EmbeddedLogger): Promise<Shared> {
  let phase: 'ready' | 'failing' | 'damaged' | 'closed' = 'failing'
  let failure: StoreFailure = { store: 'embedded', cause: 'io_error' }
  let db: Pouch | undefined
  /** What `run` started on `db`: PouchDB never settles calls still queued when it is closed. */
  const inFlight = new Set<Promise<unknown>>()
  let lastWriteAt = 0
  let probing: Promise<void> | undefined
  let recovering: Promise<void> | undefined
  let wake = (): void => {}
  /** While an open is under way, the first failure seen makes that open fail. */
  let opening = false
  let openTrouble: unknown
  const cache = openDocumentCache(location)
  const unwatch = watchLeveldb(location, {
    wrote: () => { lastWriteAt = Date.now() },
    writeFailed: (error) => { trip(error, 'write') },
    readFailed: (error) => { trip(error, 'read') }
  })

  function trip (error: unknown, what: string): void {
    if (opening) openTrouble ??= error
    if (phase !== 'ready') return
    failure = { store: 'embedded', cause: leveldbFailureCause(error) }
    phase = failure.cause === 'damaged' ? 'damaged' : 'failing'
    logger.error({ err: error, dataDir: location, cause: failure.cause }, `the embedded store stopped serving after a failed ${what}: ${describeFailure(failure)}`)
    // Damage does not heal by reopening: the database stays shut until an operator acts.
    recovering = phase === 'damaged' ? closeDb() : recover()
  }

  async function attemptOpen (): Promise<Pouch> {
    opening = true
    openTrouble = undefined
    try {
      return await openCheckedPouch(location, logger, () => openTrouble)
    } finally {
      opening = false
    }
  }

  async function recover (): Promise<void> {
    let delay = FIRST_RETRY_MS
    while (phase === 'failing') {
      await closeDb()
      try {
        const reopened = await attemptOpen()
        if (phase !== 'failing') {
          await reopened.close().catch(() => {})
          return
        }
        db = reopened
        cache.clear()
        phase = 'ready'
        logger.info({ dataDir: location }, 'the embedded store serves again: it reopened its files and a test write worked')
        return
      } catch (error) {
        if (phase !== 'failing') return
        const cause = error instanceof StoreOpenError ? error.failure.cause : 'io_error'
        if (cause !== failure.cause) logger.warn({ err: error, dataDir: location, cause }, 'the embedded store cannot reopen yet; it keeps trying')
        failure = { store: 'embedded', cause }
        if (cause === 'damaged') {
          phase = 'damaged'
          return
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay)
          wake = () => { clearTimeout(timer); resolve() }
        })
        delay = Math.min(delay * 2, MAX_RETRY_MS)
      }
    }
  }

  async function closeDb (): Promise<void> {
    // Writes queued behind a failed one fail fast (guarded-leveldown.ts): they settle first.
    await Promise.allSettled([...inFlight])
    const current = db
    db = undefined
    // Another PouchDB instance on the same handle (tests) may have closed it already.
    await current?.close().catch(() => {})
  }

  function unavailable (error?: unknown): StoreError {
    return new StoreError('unavailable', describeFailure(failure), { failure, cause: error })
  }

  async function run<T> (operation: (db: Pouch) => Promise<T>): Promise<T> {
    if (phase !== 'ready' || db === undefined) throw unavailable()
    const running = operation(db)
    inFlight.add(running)
    try {
      return await running
    } catch (error) {
      // A failure seen below PouchDB has already stopped the store (trip): PouchDB's own
      // words for it (a 404 for a damaged read) are not the answer then.
      if (phase === 'ready') {
        const status = (error as { status?: number }).status
        const answer = documentAnswerError(status)
        if (answer !== undefined) throw answer
        // A document PouchDB rejects is a bug in this service, not the disk's fault: a 500.
        if (status === 400) throw error
        trip(error, 'operation')
      }
      throw unavailable(error)
    } finally {
      inFlight.delete(running)
    }
  }

  async function read<T> (operation: (db: Pouch) => Promise<T>): Promise<T> {
    const result = await run(operation)
    if (phase !== 'ready') throw unavailable()
    return result
  }

  async function check (): Promise<BrainStatus> {
    if (phase === 'ready' && Date.now() - lastWriteAt >= PROBE_EVERY_MS) {
      probing ??= run(probeWrite).catch(() => {}).finally(() => { probing = undefined })
      await probing
    }
    return phase === 'ready' ? { ok: true } : { ok: false, kind: 'unavailable', reason: describeFailure(failure), failure }
  }

  async function close (): Promise<void> {
    phase = 'closed'
    failure = { store: 'embedded', cause: 'closed' }
    wake()
    await recovering
    unwatch()
    cache.release()
    await closeDb()
  }

  try {
    db = await attemptOpen()
  } catch (error) {
    unwatch()
    cache.release()
    throw error
  }
  phase = 'ready'
  const cached = (id: string): unknown => phase === 'ready' && db !== undefined ? cache.get(id) : undefined
  return { cache, cached, read, write: run, check, close }
}
