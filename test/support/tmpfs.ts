// A small tmpfs to fill up, for tests of what the embedded store does when its disk is full.
// Mounting needs root (CAP_SYS_ADMIN): without it `mountTmpfs` says why, for the test to skip.
import { execFile } from 'node:child_process'
import { mkdtemp, open, rm, rmdir, statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface Tmpfs {
  dir: string
  /** The file `fill` writes. */
  filler: string
  /** Bytes still free. */
  free: () => Promise<number>
  /** Writes a filler file until at most `leave` bytes are free (0: until ENOSPC). */
  fill: (leave?: number) => Promise<void>
  /** Gives the filler's space back. */
  unfill: () => Promise<void>
  unmount: () => Promise<void>
}

/** The mounted tmpfs, or the reason it cannot be mounted here. */
export async function mountTmpfs (sizeBytes: number): Promise<Tmpfs | string> {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root'
  const dir = await mkdtemp(join(tmpdir(), 'overmind-tmpfs-'))
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir])
  } catch (error) {
    await rmdir(dir)
    return `mount -t tmpfs failed: ${(error as Error).message.split('\n')[0]}`
  }
  const filler = join(dir, 'filler')
  const free = async (): Promise<number> => { const s = await statfs(dir); return s.bavail * s.bsize }
  return {
    dir,
    filler,
    free,
    fill: async (leave = 0) => {
      const file = await open(filler, 'a')
      const chunk = new Uint8Array(64 * 1024)
      try {
        for (let room = await free(); room > leave; room = await free()) {
          await file.write(chunk, 0, Math.min(chunk.length, Math.max(4096, room - leave)))
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
      } finally {
        await file.close()
      }
    },
    unfill: async () => { await rm(filler, { force: true }) },
    unmount: async () => {
      // A test that failed may still hold a file open: detach it lazily rather than leave it.
      await run('umount', [dir]).catch(async () => await run('umount', ['-l', dir]))
      await rmdir(dir)
    }
  }
}
