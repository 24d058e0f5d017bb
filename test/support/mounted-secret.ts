// A Secret volume as the kubelet lays it out and updates it (AtomicWriter,
// kubernetes/pkg/volume/util/atomic_writer.go): the data in a `..<timestamp>` directory, a
// `..data` symlink to it, and each key a symlink `key -> ..data/key`. An update writes a new
// timestamped directory, points `..data_tmp` at it, renames that over `..data` (one atomic
// step) and removes the old directory.
import { mkdir, mkdtemp, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface MountedSecret {
  /** The path a container is given, e.g. `…/app-password`. */
  path: string
  /** Swaps in a new value the way the kubelet does. */
  update (value: string): Promise<void>
  remove (): Promise<void>
}

export async function mountSecret (key: string, value: string): Promise<MountedSecret> {
  const dir = await mkdtemp(join(tmpdir(), 'overmind-secret-'))
  let generation = 0
  const writeGeneration = async (text: string): Promise<string> => {
    const name = `..2026_12_01_00_00_0${generation++}.${process.pid}`
    await mkdir(join(dir, name))
    // Written by hand with `kubectl create secret --from-file`, a value usually ends in a newline.
    await writeFile(join(dir, name, key), `${text}\n`, { mode: 0o440 })
    return name
  }
  await symlink(await writeGeneration(value), join(dir, '..data'))
  await symlink(join('..data', key), join(dir, key))
  return {
    path: join(dir, key),
    async update (text) {
      const previous = await readlink(join(dir, '..data'))
      const next = await writeGeneration(text)
      await symlink(next, join(dir, '..data_tmp'))
      await rename(join(dir, '..data_tmp'), join(dir, '..data'))
      await rm(join(dir, previous), { recursive: true })
    },
    remove: async () => { await rm(dir, { recursive: true, force: true }) }
  }
}
