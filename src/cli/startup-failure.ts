// What `overmind serve` says when it cannot start: one sentence naming the variable or path and
// what to do, instead of the raw system error (`listen EADDRINUSE …`, `EACCES: permission denied,
// mkdir './data'`). Failures to open leveldb itself (a lock held by another process, damaged
// files) are the embedded store's own StoreOpenError sentences (embedded-open-error.ts).
import type { Config } from '../config.js'

interface SystemError { code?: string, syscall?: string, message?: string, port?: number, cause?: unknown }

/** The sentence for a failure we recognise, or undefined (the caller reports it as it is). */
export function explainStartupFailure (error: unknown, config: Config): string | undefined {
  const dataDir = config.store.kind === 'embedded' ? config.store.dataDir : undefined
  for (const cause of causes(error)) {
    const { code, syscall, message = '' } = cause
    // Node's listen errors carry the port: the metrics listener's (OVERMIND_METRICS_ADDR) or the API's.
    const metrics = config.access.metricsAddr
    if (metrics !== undefined && cause.port === metrics.port && metrics.port !== config.http.port && code !== undefined && ['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES'].includes(code)) {
      return `OVERMIND_METRICS_ADDR ${metrics.host}:${metrics.port} cannot be listened on (${code}): pick a free port above 1023 on an address of this machine.`
    }
    const { host, port } = config.http
    const where = `${host}:${port}`
    if (code === 'EADDRINUSE') return `${where} is already in use by another process: stop it, or set OVERMIND_HTTP_ADDR (or --http.addr) to another port.`
    if (code === 'EADDRNOTAVAIL') return `${host} is not an address of this machine: fix OVERMIND_HTTP_ADDR (or --http.addr), e.g. 0.0.0.0:${port}.`
    if (code === 'EACCES' && (syscall === 'listen' || syscall === 'bind')) return `this user may not listen on ${where} (ports below 1024 need privileges): set OVERMIND_HTTP_ADDR to a port above 1023.`
    if (dataDir === undefined) continue
    if (code === 'EEXIST' || code === 'ENOTDIR') return `OVERMIND_DATA_DIR ${dataDir} is (or is inside) a file, not a directory: point it at a directory.`
    if (code === 'EACCES' || code === 'EPERM' || /Permission denied/.test(message)) return `OVERMIND_DATA_DIR ${dataDir} cannot be created or written by this user (permission denied): point it at a writable directory, or fix its owner.`
    if (code === 'EROFS' || /Read-only file system/.test(message)) return `OVERMIND_DATA_DIR ${dataDir} is on a read-only file system: point it at a writable directory (in Kubernetes, a volume).`
  }
  return undefined
}

/** The error and the errors it wraps (`cause`), outermost first. */
function causes (error: unknown): SystemError[] {
  const chain: SystemError[] = []
  for (let current = error; typeof current === 'object' && current !== null && chain.length < 5; current = (current as SystemError).cause) {
    chain.push(current as SystemError)
  }
  return chain
}
