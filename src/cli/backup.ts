// `overmind backup (--to FILE | --to-dir DIR [--keep N]) [--resume] [--json]`: a backup of the
// store the service's configuration names, in @cloudant/couchbackup's format. Thin wrapper:
// flags, configuration, where the file goes, the report, the exit code.
import { createWriteStream, existsSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { backupName, pruneBackups } from '../backup/backup-rotation.js'
import { writeCouchBackup, writeEmbeddedBackup } from '../backup/write-backup.js'
import { ConfigError, loadConfig, type Config } from '../config.js'
import { openEmbeddedStore } from '../transfer/endpoints.js'
import { TransferError } from '../transfer/transfer-error.js'
import { readFlags } from './command-flags.js'

const HELP = `usage: overmind backup --to FILE [--resume] [--json]
       overmind backup --to-dir DIR [--keep N] [--json]

Writes every zergling of the store this configuration names (CouchDB when COUCHDB_URL or
COUCHDB_SERVICE_HOST is set, else the embedded store in OVERMIND_DATA_DIR) to a file in
@cloudant/couchbackup's format: \`couchrestore\` or \`overmind restore\` reads it. Each document
keeps its revision history, so a zergling's idempotency records and history come back whole;
deleted zerglings are not in it. The embedded store must not be in use (stop the service).

options:
  --to FILE       the file to write (refused if it exists); FILE.partial until complete
  --resume        CouchDB only: go on with a backup to FILE that was stopped (FILE.partial,
                  and couchbackup's log FILE.log, which says where it stopped)
  --to-dir DIR    write DIR/<database>-<UTC time>.jsonl (as .partial until complete)
  --keep N        with --to-dir: then keep only the newest N complete backups (default 7)
  --json          print one JSON report on stdout
  -h, --help      this text

exit codes: 0 written, 1 failed (nothing complete was written), 2 bad usage or configuration`

interface Plan { file: string, writing: string, resume: boolean, prune?: { directory: string, keep: number, name: string } }

export async function cli (args: string[]): Promise<number> {
  const values = readFlags('backup', HELP, args, { to: { type: 'string' }, 'to-dir': { type: 'string' }, keep: { type: 'string' }, resume: { type: 'boolean' }, json: { type: 'boolean' } })
  if (typeof values === 'number') return values
  let config: Config
  let plan: Plan
  try {
    config = loadConfig()
    plan = planFile(values, config)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`overmind backup: ${error.message}\n`)
    return 2
  }
  const started = performance.now()
  try {
    const { documents, store } = await writeTo(config, plan)
    await rename(plan.writing, plan.file)
    await rm(`${plan.file}.log`, { force: true })
    const removed = plan.prune === undefined ? [] : await pruneBackups(plan.prune.directory, config.store.kind === 'couchdb' ? config.store.couch.database : config.store.database, plan.prune.keep, plan.prune.name)
    const seconds = Math.round(performance.now() - started) / 1000
    const report = { ok: true, store, file: plan.file, documents, seconds, removed }
    process.stdout.write((values.json === true ? JSON.stringify(report) : `backed up ${documents} documents of ${store} to ${plan.file} in ${seconds} s${removed.length > 0 ? `; removed ${removed.length} older: ${removed.join(', ')}` : ''}`) + '\n')
    return 0
  } catch (error) {
    if (!(error instanceof TransferError)) throw error
    process.stderr.write(`overmind backup: ${error.message}\n`)
    if (values.json === true) process.stdout.write(JSON.stringify({ ok: false, error: error.message }) + '\n')
    return 1
  }
}

function planFile (values: { to?: string, 'to-dir'?: string, keep?: string, resume?: boolean }, config: Config): Plan {
  const resume = values.resume === true
  if ((values.to === undefined) === (values['to-dir'] === undefined)) throw new ConfigError('Give --to FILE or --to-dir DIR (one of them).')
  if (resume && (values.to === undefined || config.store.kind !== 'couchdb')) throw new ConfigError('--resume goes on with a CouchDB backup to --to FILE; an embedded store\'s backup is quick to make again.')
  if (values.to !== undefined) {
    if (values.keep !== undefined) throw new ConfigError('--keep goes with --to-dir.')
    if (!resume && existsSync(values.to)) throw new ConfigError(`${values.to} exists: remove it, choose another file, or --resume a stopped backup.`)
    if (resume && !(existsSync(`${values.to}.log`) && existsSync(`${values.to}.partial`))) throw new ConfigError(`There is no stopped backup to ${values.to} (${values.to}.partial and .log) to resume: start a new one.`)
    // couchbackup appends a resumed backup to the file it began.
    return { file: values.to, writing: `${values.to}.partial`, resume }
  }
  const keep = values.keep === undefined ? 7 : Number(values.keep)
  if (!Number.isSafeInteger(keep) || keep < 1) throw new ConfigError(`--keep takes a whole number of backups, at least 1, not ${JSON.stringify(values.keep)}.`)
  const directory = values['to-dir']!
  if (!existsSync(directory)) throw new ConfigError(`--to-dir ${directory} does not exist.`)
  const name = backupName(config.store.kind === 'couchdb' ? config.store.couch.database : config.store.database)
  const file = join(directory, name)
  return { file, writing: `${file}.partial`, resume: false, prune: { directory, keep, name } }
}

async function writeTo (config: Config, plan: Plan): Promise<{ documents: number, store: string }> {
  const out = createWriteStream(plan.writing, { flags: plan.resume ? 'a' : 'wx' })
  const noticed = (documents: number): void => { if (process.stderr.isTTY) process.stderr.write(`\r${documents} documents written`) }
  try {
    if (config.store.kind === 'couchdb') {
      const { couch } = config.store
      return { documents: await writeCouchBackup(couch, out, { log: `${plan.file}.log`, resume: plan.resume }, noticed), store: `${couch.url}/${couch.database}` }
    }
    const embedded = await openEmbeddedStore(config.store.dataDir, config.store.database)
    try {
      return { documents: await writeEmbeddedBackup(embedded.db, out, noticed), store: embedded.name }
    } finally {
      await embedded.close()
    }
  } catch (error) {
    out.destroy()
    throw error
  } finally {
    if (process.stderr.isTTY) process.stderr.write('\n')
  }
}
