// Runs the real `overmind` CLI as a child process (TypeScript through tsx), as a user or a
// container would, and collects what it prints.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

export interface OvermindProcess {
  child: ChildProcess
  /** Everything printed so far, stdout then stderr as they came. */
  output: () => string
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>
  kill: (signal?: NodeJS.Signals) => Promise<number | string>
}

/** `env` replaces the environment entirely (plus PATH), so nothing leaks in from the machine. */
export function runOvermind (args: string[], env: Record<string, string> = {}): OvermindProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  })
  return {
    child,
    output: () => output,
    exited,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return await exited
    }
  }
}

/** Starts `overmind serve` on a free port and waits until it says where it listens. */
export async function startServe (env: Record<string, string>, timeoutMs = 20_000): Promise<OvermindProcess & { baseUrl: string }> {
  const process = runOvermind(['serve'], { OVERMIND_HTTP_ADDR: '127.0.0.1:0', ...env })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(process.output())
    if (match !== null) return { ...process, baseUrl: match[1] }
    const exited = await Promise.race([process.exited, new Promise((resolve) => setTimeout(resolve, 50, undefined))])
    if (exited !== undefined) throw new Error(`overmind serve exited (${String(exited)}) before listening:\n${process.output()}`)
  }
  await process.kill('SIGKILL')
  throw new Error(`overmind serve did not listen within ${timeoutMs} ms:\n${process.output()}`)
}
