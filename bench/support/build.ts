// The service is benchmarked as it ships (`node dist/cli/main.js serve`), not through tsx: tsx's
// on-the-fly compile would add to the start-up time and the memory being measured. It is compiled
// into bench/results/tmp (git-ignored), not dist/, so a bench run never races a teammate's build;
// incrementally, so that a second run (`--quick` while working on a change) compiles in seconds.
import { execFile } from 'node:child_process'
import { copyFile, mkdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Compiles src/ and returns the path of the CLI entry. */
export async function buildService (root: string, outRoot: string): Promise<{ main: string, warnings: string }> {
  const outDir = join(outRoot, 'dist')
  await mkdir(outRoot, { recursive: true })
  // src/version.ts reads ../package.json next to its own directory.
  await copyFile(join(root, 'package.json'), join(outRoot, 'package.json'))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  let warnings = ''
  try {
    await run(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, '--sourceMap', 'false', '--incremental', '--tsBuildInfoFile', join(outRoot, 'tsbuildinfo')], { cwd: root })
  } catch (error) {
    // tsc still emits on type errors (a teammate's change in progress); go on if it did.
    warnings = String((error as { stdout?: string }).stdout ?? error).slice(0, 2000)
  }
  const main = join(outDir, 'cli', 'main.js')
  if (!existsSync(main)) throw new Error(`compiling the service failed:\n${warnings}`)
  return { main, warnings }
}
