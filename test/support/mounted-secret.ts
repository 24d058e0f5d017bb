// A directory laid out as the kubelet mounts a Secret key: `<key>` → `..data/<key>`, `..data` →
// `..data_<n>`; `swap` updates it the kubelet's way, a new directory and one atomic rename of the
// `..data` symlink (https://kubernetes.io/docs/concepts/configuration/secret/#mounted-secrets-are-updated-automatically).
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface MountedSecret {
  /** The path a container reads (`…/token`). */
  file: string
  swap (next: string): void
  remove (): void
}

export function mountedSecret (value: string, key = 'token'): MountedSecret {
  const dir = mkdtempSync(join(tmpdir(), 'overmind-secret-'))
  let generation = 0
  const swap = (next: string): void => {
    generation++
    const data = `..data_${generation}`
    mkdirSync(join(dir, data))
    writeFileSync(join(dir, data, key), `${next}\n`)
    symlinkSync(data, join(dir, '..data_tmp'))
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
  }
  swap(value)
  symlinkSync(join('..data', key), join(dir, key))
  return { file: join(dir, key), swap, remove: () => { rmSync(dir, { recursive: true, force: true }) } }
}
