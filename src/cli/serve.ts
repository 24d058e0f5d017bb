// `overmind serve`: run the HTTP service until SIGTERM or SIGINT.
import { ConfigError, loadConfig, type Config, type StoreConfig } from '../config.js'
import { startServer } from '../http/server.js'
import { readFlags } from './command-flags.js'
import { explainStartupFailure } from './startup-failure.js'
import { StoreOpenError } from '../store/store-error.js'

const HELP = `usage: overmind serve [--http.addr HOST:PORT] [--bootstrap]

Runs the zergling HTTP API. With COUCHDB_URL or COUCHDB_SERVICE_HOST set it uses that CouchDB
(the database must exist: run \`overmind bootstrap\` first); otherwise an embedded store under
OVERMIND_DATA_DIR (default ./data).

options:
  --http.addr HOST:PORT   listen address (default OVERMIND_HTTP_ADDR or 0.0.0.0:8080)
  --bootstrap             run \`overmind bootstrap\` (all steps) first; exit 1 if a step fails
  -h, --help              this text

exit codes: 0 stopped cleanly, 1 failed (also: the embedded store's directory is damaged or
unusable), 2 bad usage or configuration`

export async function cli (args: string[]): Promise<number> {
  // The original (Go) spelled the flag with one dash: -http.addr=:8080
  const normalised = args.map((arg) => arg.replace(/^-http\.addr/, '--http.addr'))
  const values = readFlags('serve', HELP, normalised, { 'http.addr': { type: 'string' }, bootstrap: { type: 'boolean' } })
  if (typeof values === 'number') return values
  let config
  try {
    config = loadConfig(undefined, { httpAddr: values['http.addr'] })
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`overmind serve: ${error.message}\n`)
      return 2
    }
    throw error
  }
  if (values.bootstrap === true) {
    // For a single container without Kubernetes init containers: the same steps, then serve.
    // Loaded only here: a plain `serve` (every replica's start) does not read bootstrap's modules.
    const { formatReport, runBootstrap } = await import('../bootstrap/index.js')
    const report = await runBootstrap(config, { log: (message) => { process.stderr.write(`overmind bootstrap: ${message}\n`) } })
      .catch((error: unknown) => { if (error instanceof ConfigError) return error; throw error })
    if (report instanceof ConfigError) {
      process.stderr.write(`overmind serve --bootstrap: ${report.message}\n`)
      return 2
    }
    process.stderr.write(formatReport(report) + '\n')
    if (!report.ok) return 1
  }
  const serving = { ...config, store: servingStore(config, values.bootstrap === true) }
  let server
  try {
    server = await startServer(serving)
  } catch (error) {
    // A store that cannot be opened (a damaged data directory, a full disk) is not served at
    // all: one sentence saying what to do, exit 1, and Kubernetes shows it in the pod's log.
    const sentence = error instanceof StoreOpenError ? error.message : explainStartupFailure(error, serving)
    if (sentence === undefined) throw error
    process.stderr.write(`overmind serve: ${sentence}\n`)
    return 1
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => { server.shutdown(signal).then(resolve, resolve) }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  return 0
}

/**
 * What the service signs in as. After `--bootstrap` with an app user configured, it is that
 * least-privilege user (docs/bootstrap.md recommends it), not the admin that bootstrap needed.
 */
function servingStore (config: Config, bootstrapped: boolean): StoreConfig {
  const { appUsername, appPassword, appPasswordFile } = config.bootstrap
  if (!bootstrapped || config.store.kind !== 'couchdb' || appUsername === undefined) return config.store
  const { passwordFile: _admin, ...couch } = config.store.couch
  return { ...config.store, couch: { ...couch, username: appUsername, password: appPassword, ...(appPasswordFile === undefined ? {} : { passwordFile: appPasswordFile }) } }
}
