// What a leveldb error means for an operator. leveldown gives leveldb's `Status::ToString()` as
// the message ("IO error: <file>: No space left on device", "Corruption: …"; util/env_posix.cc
// builds I/O errors from strerror), and Node's fs errors carry an errno code.
import type { FailureCause } from './store-failure.js'

const CAUSES: Array<[FailureCause, RegExp]> = [
  ['disk_full', /No space left on device|Disk quota exceeded|ENOSPC|EDQUOT/i],
  ['in_use', /lock .*(already held|Resource temporarily unavailable)/i],
  ['not_writable', /Permission denied|Operation not permitted|Read-only file system|EACCES|EPERM|EROFS/i],
  // "does not exist (create_if_missing is false)": CURRENT vanished from a directory that held data.
  ['damaged', /Corruption|not an sstable|missing files|create_if_missing is false/i]
]

export function leveldbFailureCause (error: unknown): FailureCause {
  const text = error instanceof Error ? `${error.message} ${(error as NodeJS.ErrnoException).code ?? ''}` : String(error)
  return CAUSES.find(([, pattern]) => pattern.test(text))?.[0] ?? 'io_error'
}
