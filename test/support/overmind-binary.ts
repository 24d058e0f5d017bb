// Runs the built `overmind` binary (dist/cli/main.js, as `npm install -g` would put it on PATH)
// and collects stdout and stderr apart, so a test can check that stdout carries results only.
// `npm test` builds first; a single file needs `npx tsc -p tsconfig.build.json` before it.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const BINARY = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

export interface BinaryRun {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** The exit code, or the signal's name. */
  exited: Promise<number | string>
}

/** `env` replaces the environment (plus PATH), so no OVERMIND_URL leaks in from the machine. */
export function startBinary (args: string[], env: Record<string, string> = {}): BinaryRun {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build it first (npx tsc -p tsconfig.build.json)`)
  const child = spawn(process.execPath, [BINARY, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<number | string>((resolve) => { child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')) })
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

export interface BinaryResult { code: number | string, stdout: string, stderr: string }

export async function runBinary (args: string[], env: Record<string, string> = {}): Promise<BinaryResult> {
  const run = startBinary(args, env)
  const code = await run.exited
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}

/** Waits until `test` holds for what the process printed so far, or fails with what it printed. */
export async function waitForOutput (run: BinaryRun, test: (stdout: string, stderr: string) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!test(run.stdout(), run.stderr())) {
    if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`the process did not print what was awaited:\nstdout: ${run.stdout()}\nstderr: ${run.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The built `overmind serve` on a free loopback port, once it says where it listens. */
export async function startServeBinary (env: Record<string, string>): Promise<BinaryRun & { url: string, stop: () => Promise<void> }> {
  const run = startBinary(['serve'], { OVERMIND_HTTP_ADDR: '127.0.0.1:0', ...env })
  const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/
  await waitForOutput(run, (stdout) => listening.test(stdout))
  return { ...run, url: listening.exec(run.stdout())![1]!, stop: async () => { run.child.kill('SIGTERM'); await run.exited } }
}
