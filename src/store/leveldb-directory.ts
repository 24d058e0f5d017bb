// Looks at a leveldb directory before leveldb opens it, because leveldb's own open can destroy
// what it does not understand (leveldb 1.20 as bundled in leveldown 6.1.1,
// node_modules/leveldown/deps/leveldb/leveldb-1.20/db/db_impl.cc):
// - `DBImpl::Recover`: with `CURRENT` missing and `create_if_missing` (PouchDB's default) it
//   writes a new, empty MANIFEST; `DB::Open` then runs `DeleteObsoleteFiles`, which deletes
//   every table file the new MANIFEST does not list — all the data, unrecoverably.
// - A MANIFEST that CURRENT names but is missing fails the open (an I/O error), and a table the
//   MANIFEST lists but is missing fails it too ("N missing files"): nothing is deleted then.
// - A table file that is present but truncated is not looked at on open at all: it is found on
//   the first read (`Table::Open` checks the footer's magic number), and PouchDB turns that
//   read error into 404 "missing" (see embedded-database.ts). Here the last 8 bytes of every
//   table the MANIFEST lists must be leveldb's table magic number (table/format.h,
//   kTableMagicNumber). A table it does not list holds nothing leveldb will read: the output of
//   a compaction stopped by a close, or an obsolete one (leveldb-manifest.ts); the open deletes it.
// What these checks cannot see: damage inside a table that leaves its footer whole (found on
// read, at run time), a damaged log record (leveldb skips it and logs "dropping N bytes" in its
// LOG, which the store repeats as a warning), and a stale MANIFEST restored beside newer tables
// (leveldb deletes the tables it does not list, as it must after a crash mid-compaction).
import { open, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { liveTables } from './leveldb-manifest.js'

export type DirectoryVerdict =
  /** No database here yet: leveldb may create one. */
  | { kind: 'new' }
  /** A database whose files look whole: open it, and never let leveldb create a new one. */
  | { kind: 'existing' }
  /** Do not open: `problem` says what is wrong, as a clause ("CURRENT is missing…"). */
  | { kind: 'damaged', problem: string }

/** leveldb's table footer ends with this number, little-endian (table/format.h). */
const TABLE_MAGIC = Buffer.from('57fb808b247547db', 'hex')
/** Footer::kEncodedLength: a table is at least its footer. */
const FOOTER_BYTES = 48

const DATA_FILE = /^\d+\.(log|ldb|sst)$/
const TABLE_FILE = /^\d+\.(ldb|sst)$/

/** Throws only when the directory cannot be read at all (the caller words that error). */
export async function inspectLeveldbDirectory (directory: string): Promise<DirectoryVerdict> {
  let names: string[]
  try {
    names = await readdir(directory)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'new' }
    throw error
  }
  const dataFiles = names.filter((name) => DATA_FILE.test(name))
  if (!names.includes('CURRENT')) {
    // No log and no table means no data: a first open that stopped half-way is safe to redo.
    if (dataFiles.length === 0) return { kind: 'new' }
    return { kind: 'damaged', problem: `its CURRENT file is missing although ${dataFiles.length} data file(s) remain, and leveldb would delete them` }
  }
  const current = await readFile(join(directory, 'CURRENT'), 'utf8')
  const manifest = /^(MANIFEST-\d+)\n$/.exec(current)?.[1]
  if (manifest === undefined) return { kind: 'damaged', problem: 'its CURRENT file does not name a MANIFEST' }
  if (!names.includes(manifest)) return { kind: 'damaged', problem: `its CURRENT file names ${manifest}, which is missing` }
  // Every table when the MANIFEST cannot be read: leveldb's open then fails and deletes nothing.
  const live = liveTables(await readFile(join(directory, manifest)))
  const judged = dataFiles.filter((name) => TABLE_FILE.test(name) && (live === undefined || live.has(Number.parseInt(name, 10))))
  for (const table of judged) {
    if (!await endsWithTableMagic(join(directory, table))) {
      return { kind: 'damaged', problem: `its table file ${table} is truncated or is not a leveldb table` }
    }
  }
  return { kind: 'existing' }
}

async function endsWithTableMagic (path: string): Promise<boolean> {
  const { size } = await stat(path)
  if (size < FOOTER_BYTES) return false
  const file = await open(path, 'r')
  try {
    const tail = new Uint8Array(TABLE_MAGIC.length)
    await file.read(tail, 0, tail.length, size - tail.length)
    return TABLE_MAGIC.equals(tail)
  } finally {
    await file.close()
  }
}

/**
 * The lines of leveldb's own LOG (rewritten at each open) in which recovery skipped part of a
 * log file: with paranoid_checks off it goes on without an error (db_impl.cc `RecoverLogFile`).
 */
export async function skippedOnRecovery (directory: string): Promise<string[]> {
  const log = await readFile(join(directory, 'LOG'), 'utf8').catch(() => '')
  return log.split('\n').filter((line) => /dropping \d+ bytes|Ignoring error/.test(line))
}
