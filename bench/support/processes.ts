// Child processes the bench starts (overmind serve, the CouchDB double, the bare Fastify
// baseline). Each server runs in its own process so it never shares an event loop with
// autocannon; every child is registered so that run.ts can stop all of them, also on failure.
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Child {
  name: string
  pid: number
  /** Where its stdout and stderr go (a file, so a chatty child never blocks on a full pipe). */
  logFile: string
  exited: Promise<number | string>
  stop: () => Promise<void>
}

const running = new Set<Child>()

/** The repository: children run from here, so `--import tsx` and node_modules resolve. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface SpawnOptions {
  name: string
  args: string[]
  env?: Record<string, string>
  logFile: string
}

/** Spawns `node ...args`; `env` is added to a minimal environment, so nothing leaks in. */
export function spawnNode ({ name, args, env = {}, logFile }: SpawnOptions): Child {
  const fd = openSync(logFile, 'a')
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', fd, fd]
  })
  closeSync(fd)
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  })
  const handle: Child = {
    name,
    pid: child.pid ?? -1,
    logFile,
    exited,
    stop: async () => {
      running.delete(handle)
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
  }
  running.add(handle)
  return handle
}

/** Stops every child still running (run.ts calls this in `finally` and on SIGINT). */
export async function stopAll (): Promise<void> {
  await Promise.all([...running].map(async (child) => await child.stop()))
}

/** A free port on 127.0.0.1 (the kernel's pick; released just before the child binds it). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * A baseline server (`node --import tsx SCRIPT PORT ...args`, on a free port of 127.0.0.1), once
 * its /readyz answers 200; stopped again if it never does.
 */
export async function startBaselineServer (options: { name: string, script: string, args?: string[], env?: Record<string, string>, logDir: string }): Promise<{ child: Child, url: string }> {
  const port = await freePort()
  const child = spawnNode({ name: options.name, args: ['--import', 'tsx', options.script, String(port), ...options.args ?? []], env: options.env, logFile: join(options.logDir, `${options.name}.log`) })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitFor200(`${url}/readyz`, child, performance.now())
  } catch (error) {
    await child.stop()
    throw error
  }
  return { child, url }
}

/** Polls `url` until it answers 200; returns the milliseconds since `since`. */
export async function waitFor200 (url: string, child: Child, since: number, timeoutMs = 30_000): Promise<number> {
  for (;;) {
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.status === 200) return performance.now() - since
    } catch {
      // Not listening yet.
    }
    const exited = await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 5, undefined))])
    if (exited !== undefined) throw new Error(`${child.name} exited (${String(exited)}) before ${url} answered 200:\n${tail(child.logFile)}`)
    if (performance.now() - since > timeoutMs) throw new Error(`${child.name}: ${url} did not answer 200 within ${timeoutMs} ms:\n${tail(child.logFile)}`)
  }
}

function tail (file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000)
  } catch {
    return '(no log)'
  }
}
