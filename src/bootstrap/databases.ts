// Creating a database idempotently and race-safely.
// https://docs.couchdb.org/en/stable/api/database/common.html#put--db
// 201/202 = created; 412 file_exists = already there (another bootstrap, or CouchDB itself,
// was first); under a race CouchDB 2.x/3.x has also answered 500 with reason `conflict`, so
// anything else is re-checked with HEAD before it counts as a failure.
import { describeResponse, type Credentials, type CouchClient } from './couch-client.js'
import { BootstrapError } from './bootstrap-error.js'

export async function databaseExists (couch: CouchClient, name: string, auth: Credentials): Promise<boolean> {
  const response = await couch.request('HEAD', '/' + encodeURIComponent(name), { auth })
  if (response.status === 200) return true
  if (response.status === 404) return false
  throw new BootstrapError(`HEAD ${couch.url}/${name} failed (${describeResponse(response)})${authHint(response.status)}.`)
}

/** `created`, or `existed` when the database was there (412, or a lost race). */
export async function createDatabase (couch: CouchClient, name: string, auth: Credentials): Promise<'created' | 'existed'> {
  let response
  try {
    response = await couch.request('PUT', '/' + encodeURIComponent(name), { auth })
  } catch (error) {
    // The answer was lost (connection cut, timeout): the create may have happened. Look.
    if (await databaseExists(couch, name, auth)) return 'existed'
    throw error
  }
  if (response.status === 201 || response.status === 202) return 'created'
  if (response.status === 412) return 'existed'
  if (response.status === 401 || response.status === 403) {
    throw new BootstrapError(`CouchDB refused to create database ${name} (${describeResponse(response)})${authHint(response.status)}.`)
  }
  // 500 `conflict` (a racing create) or anything unexpected: the database may exist anyway.
  if (await databaseExists(couch, name, auth)) return 'existed'
  throw new BootstrapError(`CouchDB could not create database ${name} (${describeResponse(response)}).`)
}

/**
 * What `finish_cluster` and `enable_single_node` create on 3.x; without them CouchDB logs errors
 * forever and users cannot be created (2.x also made the optional `_global_changes`).
 */
export const SYSTEM_DATABASES = ['_users', '_replicator'] as const

export async function missingSystemDatabases (couch: CouchClient, auth: Credentials): Promise<string[]> {
  const missing: string[] = []
  for (const name of SYSTEM_DATABASES) if (!await databaseExists(couch, name, auth)) missing.push(name)
  return missing
}

/** Wrong passwords never get here (credential-guard.ts): a 401 is an authenticated non-admin, or no credentials. */
export function authHint (status: number): string {
  if (status === 401) return ': COUCHDB_USERNAME is not a server admin (on a CouchDB in admin party, run the admin step first)'
  if (status === 403) return ': COUCHDB_USERNAME is not allowed to do this'
  return ''
}
