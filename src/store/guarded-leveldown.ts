// The leveldown that PouchDB itself loads, with every call's outcome watched. PouchDB is handed
// this factory as its `db` option (pouchdb 9, lib/index.js `LevelDownPouch`: "Users can pass in
// their own leveldown alternative here"). It exists for two reasons:
// - A failed write must be the last one on that handle. leveldb 1.20's `DBImpl::Write` (db/
//   db_impl.cc) records a background error only when a *sync* fails; when `log_->AddRecord`
//   fails (ENOSPC from fflush, db/log_writer.cc) the writer has already advanced its block
//   offset, so the log file and the writer disagree from then on, and every later record lands
//   where recovery cannot read it ("dropping 32768 bytes; Corruption: checksum mismatch",
//   skipped without error since paranoid_checks is off and leveldown cannot turn it on). Those
//   later writes were answered "ok". So after one failed write this handle refuses every write
//   without touching leveldb; the store then closes it and reopens, and recovery replays the log
//   up to the tear. PouchDB runs one write at a time per database (`writeLock` in
//   lib/index.js), so no write is already inside leveldb when another one fails.
// - PouchDB's `_get` answers any read error as 404 "missing" (`if (err || !metadata) return
//   callback(createError(MISSING_DOC, 'missing'))`), so a damaged table reads as "no such
//   zergling". Read errors other than NotFound are reported here, where they are still visible.
import { createRequire } from 'node:module'

type Callback = (error?: Error | null, ...results: unknown[]) => void
type Method = (...args: unknown[]) => unknown
interface LevelDown { [method: string]: unknown }

/** Told about what happened on the leveldb handles of one location. */
export interface LeveldbWatcher {
  /** A write failed; the handle it failed on refuses writes from now on. */
  writeFailed (error: Error): void
  /** A read failed with something other than NotFound: damage, or the disk. */
  readFailed (error: Error): void
  /** A write succeeded. */
  wrote (): void
}

// The exact copy PouchDB would load, wherever npm placed it.
const requireFromPouch = createRequire(createRequire(import.meta.url).resolve('pouchdb'))
const leveldown = requireFromPouch('leveldown') as (location: string) => LevelDown

const watchers = new Map<string, LeveldbWatcher>()

/** Reports for `location` go to `watcher` until the returned function is called. */
export function watchLeveldb (location: string, watcher: LeveldbWatcher): () => void {
  watchers.set(location, watcher)
  return () => { if (watchers.get(location) === watcher) watchers.delete(location) }
}

/**
 * The factory PouchDB calls with the database's location. PouchDB keeps one open handle per
 * factory name and location, so every PouchDB instance given this factory for one location
 * shares one handle.
 */
export function guardedLeveldown (location: string): LevelDown {
  const down = leveldown(location)
  const watcher = (): LeveldbWatcher | undefined => watchers.get(location)
  let refusal: Error | undefined

  const guardWrite = (original: Method) => (...args: unknown[]): void => {
    const callback = args.pop() as Callback
    if (refusal !== undefined) {
      process.nextTick(callback, refusal)
      return
    }
    original(...args, (error?: Error | null) => {
      if (error == null) {
        watcher()?.wrote()
      } else {
        refusal ??= new Error(`IO error: an earlier write failed on this handle (${error.message}); it takes no more writes`)
        watcher()?.writeFailed(error)
      }
      callback(error)
    })
  }
  const guardRead = (original: Method) => (...args: unknown[]): unknown => {
    const callback = args.pop() as Callback
    return original(...args, (error?: Error | null, ...results: unknown[]) => {
      if (error != null && !isNotFound(error)) watcher()?.readFailed(error)
      callback(error, ...results)
    })
  }

  for (const name of ['_put', '_del', '_batch', '_clear']) down[name] = guardWrite(bound(down, name))
  for (const name of ['_get', '_getMany']) down[name] = guardRead(bound(down, name))
  const chainedBatch = bound(down, '_chainedBatch')
  down._chainedBatch = () => {
    const batch = chainedBatch() as LevelDown
    batch._write = guardWrite(bound(batch, '_write'))
    return batch
  }
  const iterator = bound(down, '_iterator')
  down._iterator = (options: unknown) => {
    const it = iterator(options) as LevelDown
    it._next = guardRead(bound(it, '_next'))
    return it
  }
  return down
}

function bound (target: LevelDown, name: string): Method {
  return (target[name] as Method).bind(target)
}

/** leveldown reports a missing key as an error whose message is leveldb's "NotFound: ". */
function isNotFound (error: Error): boolean {
  return /^NotFound/i.test(error.message) || (error as { notFound?: boolean }).notFound === true
}
