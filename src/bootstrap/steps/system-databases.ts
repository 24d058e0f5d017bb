// `system-databases`: CouchDB 2.x/3.x started without `single_node` has no `_users` and
// `_replicator` and logs errors about them forever; users cannot be created without `_users`.
// Creating them by hand is what the docs describe (recordings: system-dbs-manual.json); a 412
// means CouchDB or another bootstrap was first, which is success (test/fixtures/couchdb-3.4/README.md, surprise 22). On a cluster
// `cluster`'s finish_cluster has usually made them already.
// https://docs.couchdb.org/en/stable/setup/single-node.html
import { createDatabase, missingSystemDatabases, SYSTEM_DATABASES } from '../databases.js'
import { adminCredentials } from '../session.js'
import type { Step } from '../types.js'

export const systemDatabasesStep: Step<'system-databases'> = {
  name: 'system-databases',
  describe: 'create _users and _replicator when missing (2.x/3.x)',
  async check (context) {
    const info = await context.server()
    if (info.major < 2) return { status: 'skipped', message: `CouchDB ${info.version} creates its system databases itself.` }
    const auth = adminCredentials(context)
    const missing = await missingSystemDatabases(context.couch, auth)
    if (missing.length === 0) return { status: 'unchanged', message: `${SYSTEM_DATABASES.join(' and ')} exist.` }
    return {
      status: 'created',
      plan: `would create ${missing.join(' and ')}.`,
      apply: async () => {
        const created: string[] = []
        for (const name of missing) {
          if (await createDatabase(context.couch, name, auth) === 'created') created.push(name)
        }
        if (created.length === 0) return { status: 'unchanged', message: `${missing.join(' and ')} appeared meanwhile (created by CouchDB or another bootstrap).` }
        return { status: 'created', message: `created ${created.join(' and ')}.` }
      }
    }
  }
}
