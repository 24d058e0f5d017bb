// A password mounted from a Kubernetes Secret, read again when the kubelet replaces it. The kubelet
// never writes the file in place: it writes a new `..<timestamp>` directory, points a
// `..data_tmp` symlink at it and renames that over `..data`, and `password` itself is a symlink
// to `..data/password` (AtomicWriter in kubernetes/pkg/volume/util/atomic_writer.go). A watch on
// the file would follow the old inode and miss the swap, so the directory is watched; an
// inotify event can still be missed (the swap renames symlinks, some platforms report nothing
// for them), so the file is also read every `pollMs`. Either way a change is only reported when
// the text differs from the last one read.
// https://kubernetes.io/docs/concepts/configuration/secret/#mounted-secrets-are-updated-automatically
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { dirname } from 'node:path'

/** The file's text, without the trailing newline a Secret written by hand usually has. */
export function readSecretFile (path: string): string {
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '')
}

export interface SecretFileWatch {
  /** Reads the file now (a caller that suspects a change need not wait); reports a change too. */
  read (): string | undefined
  close (): void
}

export interface SecretFileOptions {
  /** Fallback polling; default 2 s (the kubelet's own delay is up to a minute anyway). */
  pollMs?: number
  /** Directory events come in bursts during one swap: read once they have settled. */
  debounceMs?: number
}

export function watchSecretFile (path: string, initial: string | undefined, onChange: (text: string) => void, { pollMs = 2000, debounceMs = 50 }: SecretFileOptions = {}): SecretFileWatch {
  let last = initial
  let settle: NodeJS.Timeout | undefined
  const read = (): string | undefined => {
    let text: string
    try {
      text = readSecretFile(path)
    } catch {
      // Between two renames, or a Secret removed: keep the last value, look again later.
      return last
    }
    if (text !== last) {
      last = text
      onChange(text)
    }
    return text
  }
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(dirname(path), () => {
      clearTimeout(settle)
      settle = setTimeout(read, debounceMs)
    })
    watcher.on('error', () => { watcher?.close() })
    watcher.unref()
  } catch {
    // No inotify (or the directory is missing): polling alone still notices the change.
  }
  const poll = setInterval(read, pollMs)
  poll.unref()
  return {
    read,
    close () {
      clearInterval(poll)
      clearTimeout(settle)
      watcher?.close()
    }
  }
}
