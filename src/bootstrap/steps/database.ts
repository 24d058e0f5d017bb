// `database`: the seed's `init-overmind-create-database`, without `|| true`: 201/202 created,
// 412 (or a racing 500 `conflict` followed by a HEAD that finds it) already there, 401/403 a
// failure that says whose credentials were refused.
// https://docs.couchdb.org/en/stable/api/database/common.html#put--db
import { createDatabase, databaseExists } from '../databases.js'
import { adminCredentials } from '../session.js'
import type { Step } from '../types.js'

export const databaseStep: Step<'database'> = {
  name: 'database',
  describe: 'create the service database (OVERMIND_DATABASE, default zerglings)',
  async check (context) {
    const { database } = context.settings
    const auth = adminCredentials(context)
    if (await databaseExists(context.couch, database, auth)) return { status: 'unchanged', message: `database ${database} exists.` }
    return {
      status: 'created',
      plan: `would create database ${database}.`,
      apply: async () => {
        if (await createDatabase(context.couch, database, auth) === 'created') return { status: 'created', message: `created database ${database}.` }
        return { status: 'unchanged', message: `database ${database} was created meanwhile by another bootstrap.` }
      }
    }
  }
}
