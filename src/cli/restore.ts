// `overmind restore --from FILE [--merge] [--json]`: a backup file (@cloudant/couchbackup's
// format) into the store the service's configuration names. Thin wrapper: flags,
// configuration, the refusal of an occupied target, the report, the exit code.
import { createReadStream, existsSync } from 'node:fs'
import { restoreBackup, zerglingsIn } from '../backup/restore-backup.js'
import { ConfigError, loadConfig, type Config } from '../config.js'
import { closeEndpoint, openCouchDatabase, openEmbeddedStore, type Endpoint } from '../transfer/endpoints.js'
import { TransferError } from '../transfer/transfer-error.js'
import { readFlags } from './command-flags.js'

const HELP = `usage: overmind restore --from FILE [--merge] [--json]

Puts the zerglings of a backup file (written by overmind backup or by couchbackup) into the store
this configuration names: CouchDB when COUCHDB_URL or COUCHDB_SERVICE_HOST is set (the database
must exist: overmind bootstrap makes it), else the embedded store in OVERMIND_DATA_DIR (made if
missing; stop the service first). Every document keeps its revisions, so restoring one twice
changes nothing. Design documents in the file are skipped: bootstrap owns them.

options:
  --from FILE   the backup file
  --merge       restore even when the target holds zerglings already (without it, such a
                target is refused and nothing is written); also how to finish a stopped restore
  --json        print one JSON report on stdout
  -h, --help    this text

exit codes: 0 restored, 1 refused or failed, 2 bad usage or configuration`

export async function cli (args: string[]): Promise<number> {
  const values = readFlags('restore', HELP, args, { from: { type: 'string' }, merge: { type: 'boolean' }, json: { type: 'boolean' } })
  if (typeof values === 'number') return values
  let config: Config
  try {
    if (values.from === undefined) throw new ConfigError('--from FILE is required: the backup to restore.')
    if (!existsSync(values.from)) throw new ConfigError(`--from ${values.from} does not exist.`)
    config = loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`overmind restore: ${error.message}\n`)
    return 2
  }
  const file = values.from
  const started = performance.now()
  let target: Endpoint | undefined
  let code: number
  try {
    target = config.store.kind === 'couchdb'
      ? await openCouchDatabase(config.store.couch, 'target')
      : await openEmbeddedStore(config.store.dataDir, config.store.database, { create: true })
    const present = await zerglingsIn(target.db)
    if (present > 0 && values.merge !== true) {
      throw new TransferError(`${target.name} holds zerglings already (${present >= 1000 ? 'at least 1000' : present}): nothing was restored. Restore into an empty store, or add --merge to restore beside them.`)
    }
    const count = await restoreBackup(createReadStream(file), file, target.db, ({ documents }) => { if (process.stderr.isTTY) process.stderr.write(`\r${documents} documents restored`) })
    if (process.stderr.isTTY) process.stderr.write('\n')
    const seconds = Math.round(performance.now() - started) / 1000
    const report = { ok: true, file, store: target.name, ...count, seconds }
    process.stdout.write((values.json === true ? JSON.stringify(report) : `restored ${count.documents} documents (${count.zerglings} zerglings) from ${file} into ${target.name} in ${seconds} s`) + '\n')
    code = 0
  } catch (error) {
    if (!(error instanceof TransferError)) throw error
    process.stderr.write(`overmind restore: ${error.message}\n`)
    if (values.json === true) process.stdout.write(JSON.stringify({ ok: false, error: error.message }) + '\n')
    code = 1
  }
  // Closing the embedded store reports a disk failure seen meanwhile: then nothing is certain.
  return await closeEndpoint(target, 'restore') ? code : 1
}
