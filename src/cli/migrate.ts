// `overmind migrate --to URL [--from URL] [--merge] [--json]`: the way from `npm start` (the
// embedded store) to CouchDB and Kubernetes, or from one CouchDB database to another. Thin
// wrapper: flags, configuration, a progress bar on a terminal, the report, the exit code.
import { SingleBar } from 'cli-progress'
import { ConfigError, couchDatabaseAt, loadConfig } from '../config.js'
import { closeEndpoint, openCouchDatabase, openEmbeddedStore, type Endpoint } from '../transfer/endpoints.js'
import { TransferError } from '../transfer/transfer-error.js'
import { runMigration, type MigrationReport } from '../migrate/run-migration.js'
import { readFlags } from './command-flags.js'

const HELP = `usage: overmind migrate --to URL [--from URL] [--merge] [--json]

Copies every zergling, with its whole history, its idempotency records and its deletion, into the
CouchDB database URL names (http://couchdb:5984/zerglings), by CouchDB replication: from the
embedded store in OVERMIND_DATA_DIR (database OVERMIND_DATABASE), or from the CouchDB database
--from names. Stop the service that uses the source first. The target must exist (overmind
bootstrap makes it). Safe to run again: a run that was stopped resumes from its last checkpoint,
and a run after a complete one copies nothing. At the end every document is compared.

options:
  --to URL      the target database; credentials from user:password@ in the URL, else
                COUCHDB_USERNAME and COUCHDB_PASSWORD (or COUCHDB_PASSWORD_FILE)
  --from URL    a CouchDB database as the source, instead of the embedded store (credentials
                the same way)
  --merge       copy even when the target holds zerglings that are not from this source
                (without it, such a target is refused and nothing is copied)
  --json        print one JSON report on stdout instead of lines (no progress bar)
  -h, --help    this text

Passwords are never printed.
exit codes: 0 copied and verified, 1 refused, failed or found a difference (the report says
which), 2 bad usage or configuration`

export async function cli (args: string[]): Promise<number> {
  const values = readFlags('migrate', HELP, args, { to: { type: 'string' }, from: { type: 'string' }, merge: { type: 'boolean' }, json: { type: 'boolean' } })
  if (typeof values === 'number') return values
  let open: () => Promise<{ source: Endpoint, target: Endpoint }>
  try {
    open = endpoints(values.to, values.from)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`overmind migrate: ${error.message}\n`)
    return 2
  }
  const json = values.json === true
  let opened: { source: Endpoint, target: Endpoint } | undefined
  const bar = !json && process.stderr.isTTY ? new SingleBar({ format: 'copying [{bar}] {percentage}% | {written} documents written', stream: process.stderr, hideCursor: true }) : undefined
  let code: number
  try {
    opened = await open()
    const report = await runMigration({
      ...opened,
      merge: values.merge === true,
      onPhase: (phase) => {
        if (phase === 'copying') bar?.start(100, 0, { written: 0 })
        if (phase === 'verifying') { bar?.update(100); bar?.stop() }
      },
      onProgress: ({ fraction, docsWritten }) => { bar?.update(Math.floor(fraction * 100), { written: docsWritten }) }
    })
    process.stdout.write((json ? JSON.stringify(report) : describe(report)) + '\n')
    code = report.ok ? 0 : 1
  } catch (error) {
    bar?.stop()
    if (!(error instanceof TransferError)) throw error
    process.stderr.write(`overmind migrate: ${error.message}\n`)
    if (json) process.stdout.write(JSON.stringify({ ok: false, error: error.message }) + '\n')
    code = 1
  }
  const closed = [await closeEndpoint(opened?.target, 'migrate'), await closeEndpoint(opened?.source, 'migrate')]
  return closed.every(Boolean) ? code : 1
}

/** Throws ConfigError before anything is opened: a bad flag or variable is exit 2. */
function endpoints (to: string | undefined, from: string | undefined): () => Promise<{ source: Endpoint, target: Endpoint }> {
  if (to === undefined) throw new ConfigError('--to URL is required: the CouchDB database to copy into, e.g. http://couchdb:5984/zerglings.')
  const config = loadConfig()
  const target = couchDatabaseAt(to, '--to')
  const source = from === undefined ? undefined : couchDatabaseAt(from, '--from')
  if (source === undefined && config.store.kind !== 'embedded') {
    throw new ConfigError('COUCHDB_URL or COUCHDB_SERVICE_HOST is set, so this configuration\'s store is CouchDB, not the embedded one: give --from URL to copy from a CouchDB database, or unset them to copy the embedded store in OVERMIND_DATA_DIR.')
  }
  if (source !== undefined && `${source.url}/${source.database}` === `${target.url}/${target.database}`) throw new ConfigError('--from and --to name the same database.')
  return async () => {
    const opened = source === undefined
      ? await openEmbeddedStore((config.store as { dataDir: string }).dataDir, config.store.kind === 'embedded' ? config.store.database : '')
      : await openCouchDatabase(source, 'source')
    try {
      return { source: opened, target: await openCouchDatabase(target, 'target') }
    } catch (error) {
      await opened.close().catch(() => {})
      throw error
    }
  }
}

function describe (report: MigrationReport): string {
  const { copied, verified } = report
  const lines = [
    `${report.ok ? 'migrated' : 'NOT migrated'}: ${report.source} → ${report.target}`,
    copied.docsWritten === 0
      ? `copied nothing: the target had every document already (${copied.docsRead} read)`
      : `copied ${copied.docsWritten} of ${copied.docsRead} documents read in ${report.seconds} s (${report.zerglingsPerSecond} zerglings/s, ${report.commandsPerSecond} commands/s)`,
    `verified ${verified.zerglings} zerglings (${verified.commands} commands), ${verified.deletedZerglings} deleted, ${verified.historyChunks} history chunks: ${verified.mismatchCount === 0 ? 'all equal' : `${verified.mismatchCount} differ`}`
  ]
  if (report.foreignZerglings > 0) lines.push(`the target also holds ${report.foreignZerglings} zerglings from elsewhere (--merge)`)
  for (const mismatch of verified.mismatches) lines.push(`  differs: ${mismatch}`)
  for (const error of copied.errors) lines.push(`  error: ${error}`)
  if (copied.docWriteFailures > 0) lines.push(`  ${copied.docWriteFailures} documents could not be written`)
  return lines.join('\n')
}
