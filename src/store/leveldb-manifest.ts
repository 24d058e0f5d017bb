// Which table files a leveldb MANIFEST lists as live, so that leveldb-directory.ts judges those
// and not the others. A directory may hold tables no version lists: leveldb stops a compaction
// when the database closes (db_impl.cc `DoCompactionWork`, "Deleting DB during compaction") and
// leaves its half-written output behind, and obsolete tables wait for the next open's
// `DeleteObsoleteFiles`, which removes both. The bench met one at every few closes of a database
// being seeded: a truncated table that is no damage.
//
// The format (node_modules/leveldown/deps/leveldb/leveldb-1.20/): the MANIFEST is a log
// (db/log_format.h: 32 KiB blocks of records, each a 7-byte header — checksum, length, type —
// and a payload, long ones in FIRST/MIDDLE/LAST fragments), each record a VersionEdit
// (db/version_edit.cc: tagged varint fields; tag 6 deletes file `number` at `level`, tag 7 adds
// one). Replayed in order (deletions before additions within an edit, as VersionSet::Builder
// applies them), they give the live set. Checksums are not verified: a MANIFEST leveldb cannot
// read fails its open, which deletes nothing.

const BLOCK_SIZE = 32768
const HEADER_SIZE = 7
const RECORD = { zero: 0, full: 1, first: 2, middle: 3, last: 4 } as const
const TAG = { comparator: 1, logNumber: 2, nextFileNumber: 3, lastSequence: 4, compactPointer: 5, deletedFile: 6, newFile: 7, prevLogNumber: 9 } as const

class Cursor {
  at = 0
  constructor (readonly bytes: Buffer) {}
  get done (): boolean { return this.at >= this.bytes.length }

  /** LEB128, up to 64 bits (file numbers and sizes fit a double well below 2^53). */
  varint (): number {
    let value = 0
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.at >= this.bytes.length) throw new Error('truncated varint')
      const byte = this.bytes[this.at++]!
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
    }
    throw new Error('varint too long')
  }

  skipSlice (): void {
    const length = this.varint()
    if (this.at + length > this.bytes.length) throw new Error('truncated slice')
    this.at += length
  }
}

function joined (parts: Buffer[]): Buffer {
  const whole = Buffer.alloc(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    whole.set(part, at)
    at += part.length
  }
  return whole
}

/** The log's records, fragments joined. */
function records (manifest: Buffer): Buffer[] {
  const out: Buffer[] = []
  let pending: Buffer[] | undefined
  for (let at = 0; at + HEADER_SIZE <= manifest.length;) {
    const left = BLOCK_SIZE - (at % BLOCK_SIZE)
    if (left < HEADER_SIZE) { at += left; continue }
    const length = manifest[at + 4]! | (manifest[at + 5]! << 8)
    const type = manifest[at + 6]!
    const payload = manifest.subarray(at + HEADER_SIZE, at + HEADER_SIZE + length)
    if (payload.length < length) throw new Error('truncated record')
    at += HEADER_SIZE + length
    if (type === RECORD.zero) continue
    if (type === RECORD.full) out.push(payload)
    else if (type === RECORD.first) pending = [payload]
    else if (type === RECORD.middle && pending !== undefined) pending.push(payload)
    else if (type === RECORD.last && pending !== undefined) {
      out.push(joined([...pending, payload]))
      pending = undefined
    } else throw new Error(`record type ${type} out of place`)
  }
  return out
}

/** The numbers of the table files the MANIFEST's versions leave live; undefined when it cannot be read. */
export function liveTables (manifest: Buffer): Set<number> | undefined {
  const live = new Set<string>()
  try {
    for (const record of records(manifest)) {
      const edit = new Cursor(record)
      const deleted: string[] = []
      const added: string[] = []
      while (!edit.done) {
        const tag = edit.varint()
        switch (tag) {
          case TAG.comparator: edit.skipSlice(); break
          case TAG.logNumber: case TAG.prevLogNumber: case TAG.nextFileNumber: case TAG.lastSequence: edit.varint(); break
          case TAG.compactPointer: edit.varint(); edit.skipSlice(); break
          case TAG.deletedFile: deleted.push(`${edit.varint()}:${edit.varint()}`); break
          case TAG.newFile:
            added.push(`${edit.varint()}:${edit.varint()}`)
            edit.varint() // size
            edit.skipSlice() // smallest key
            edit.skipSlice() // largest key
            break
          default: throw new Error(`unknown tag ${tag}`)
        }
      }
      for (const file of deleted) live.delete(file)
      for (const file of added) live.add(file)
    }
  } catch {
    return undefined
  }
  return new Set([...live].map((file) => Number(file.split(':')[1])))
}
