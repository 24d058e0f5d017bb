// The one sentence an operator reads when the embedded store cannot be opened: `overmind serve`
// prints it and exits 1. It names the directory, what is wrong and what to do.
import { leveldbFailureCause } from './leveldb-failure.js'
import { StoreOpenError } from './store-error.js'
import type { FailureCause } from './store-failure.js'

const WHAT: Record<FailureCause, string> = {
  damaged: 'is damaged',
  disk_full: 'could not be opened because the disk is full',
  not_writable: 'could not be opened because it is not writable',
  in_use: 'is in use by another process (another overmind?)',
  io_error: 'could not be opened',
  closed: 'was closed while it opened'
}

const TODO: Record<FailureCause, string> = {
  damaged: 'it was not opened and nothing in it was changed; restore the directory from a backup, or move it aside to start with an empty store',
  disk_full: 'free some space and start again',
  not_writable: 'give this process write access to it and start again',
  in_use: 'stop it, or give this one a data directory of its own (OVERMIND_DATA_DIR)',
  io_error: 'check the disk and start again',
  closed: 'start again'
}

/** `damaged`: what leveldb-directory.ts found; `error`: what opening leveldb threw. */
export function openFailure (location: string, found: { damaged: string } | { error: unknown }): StoreOpenError {
  if ('error' in found && found.error instanceof StoreOpenError) return found.error
  const cause = 'damaged' in found ? 'damaged' : leveldbFailureCause(found.error)
  // leveldb's own words only where they add something (damage, an unknown I/O error): a lock
  // or a full disk says it all.
  const detail = 'damaged' in found ? ` (${found.damaged})` : cause === 'io_error' || cause === 'damaged' ? ` (leveldb said: ${found.error instanceof Error ? found.error.message : String(found.error)})` : ''
  return new StoreOpenError(
    `the embedded store in ${location} ${WHAT[cause]}${detail}: ${TODO[cause]}.`,
    { store: 'embedded', cause },
    { cause: 'error' in found ? found.error : undefined }
  )
}
