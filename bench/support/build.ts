// The service is benchmarked as it ships (`node dist/cli/main.js serve`), not through tsx: tsx's
// on-the-fly compile would add to the start-up time and the memory being measured. It is compiled
// into bench/results/tmp (git-ignored), not dist/, so a bench run never races a teammate's build;
// incrementally, so that a second run (`--quick` while working on a change) compiles in seconds.
// With a git ref (`--service-ref main`) the service is that commit's src/, so that the same bench
// can measure the branch and what it would replace.
import { execFile } from 'node:child_process'
import { copyFile, cp, mkdir, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Compiles src/ (of the working tree, or of `ref`) and returns the path of the CLI entry. */
/** `dockerfile`: the Dockerfile that goes with those sources (the image's runtime settings). */
export async function buildService (root: string, outRoot: string, ref?: string): Promise<{ main: string, warnings: string, dockerfile: string }> {
  const outDir = join(outRoot, 'dist')
  await mkdir(outRoot, { recursive: true })
  let sources = root
  if (ref !== undefined) {
    // Beside the output, inside the repository: node_modules resolve from there as from the root.
    sources = join(outRoot, 'src-of-ref')
    await rm(sources, { recursive: true, force: true })
    await mkdir(sources, { recursive: true })
    const { stdout: commit } = await run('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root })
    // web/ (the map's files, read at start) exists only from issue 14 on.
    const { stdout: tree } = await run('git', ['ls-tree', '--name-only', commit.trim()], { cwd: root })
    const paths = ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'Dockerfile', 'web'].filter((path) => tree.split('\n').includes(path))
    await run('sh', ['-c', `git archive ${commit.trim()} ${paths.join(' ')} | tar -x -C "${sources}"`], { cwd: root })
  }
  // The service reads web/ beside its dist/ (src/http/web-map.ts).
  await rm(join(outRoot, 'web'), { recursive: true, force: true })
  if (existsSync(join(sources, 'web'))) await cp(join(sources, 'web'), join(outRoot, 'web'), { recursive: true })
  // src/version.ts reads ../package.json next to its own directory.
  await copyFile(join(sources, 'package.json'), join(outRoot, 'package.json'))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  let warnings = ''
  try {
    await run(process.execPath, [tsc, '-p', join(sources, 'tsconfig.build.json'), '--outDir', outDir, '--incremental', '--tsBuildInfoFile', join(outRoot, 'tsbuildinfo')], { cwd: sources })
  } catch (error) {
    // tsc still emits on type errors (a teammate's change in progress); go on if it did.
    warnings = String((error as { stdout?: string }).stdout ?? error).slice(0, 2000)
  }
  const main = join(outDir, 'cli', 'main.js')
  if (!existsSync(main)) throw new Error(`compiling the service failed:\n${warnings}`)
  return { main, warnings, dockerfile: join(sources, 'Dockerfile') }
}
