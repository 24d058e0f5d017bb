// One value of one node's configuration. Config is per node in CouchDB 2.x/3.x, and behind a
// Kubernetes Service `/_node/_local` is whichever node answers, so a cluster is always addressed
// node by node: `/_node/<name>/_config/<section>/<key>` reaches <name> through any node. Values
// travel as JSON strings; a missing key is 404 `unknown_config_value` (test/fixtures/couchdb-3.4/README.md, surprise 17).
// https://docs.couchdb.org/en/stable/api/server/configuration.html
import { describeResponse, type Credentials } from './couch-client.js'
import { BootstrapError } from './bootstrap-error.js'
import { type StepContext } from './types.js'

/** `/_config` (1.x), `/_node/_local/_config` (a single 2.x/3.x node), or one named node's. */
export function configBase (node: string | '_local' | 'legacy'): string {
  return node === 'legacy' ? '/_config' : `/_node/${encodeURIComponent(node)}/_config`
}

function valuePath (base: string, section: string, key: string): string {
  return `${base}/${encodeURIComponent(section)}/${encodeURIComponent(key)}`
}

export async function readConfigValue (context: StepContext, base: string, section: string, key: string, auth: Credentials): Promise<string | undefined> {
  const response = await context.couch.request('GET', valuePath(base, section, key), { auth })
  if (response.status === 404) return undefined
  if (response.status === 200 && typeof response.body === 'string') return response.body
  throw new BootstrapError(`Reading [${section}] ${key} at ${base} failed (${describeResponse(response)}).`)
}

/**
 * PUTs one value. `refused` on 401/403 without credentials: the admin party ended (another
 * bootstrap created the admin first), which the caller answers by switching to the admin.
 */
export async function writeConfigValue (context: StepContext, base: string, section: string, key: string, value: string, auth: Credentials): Promise<'written' | 'refused'> {
  const response = await context.couch.request('PUT', valuePath(base, section, key), { auth, body: value })
  if (response.status === 200) return 'written'
  if (auth === 'anonymous' && (response.status === 401 || response.status === 403)) return 'refused'
  throw new BootstrapError(`Writing [${section}] ${key} at ${base} failed (${describeResponse(response)}).`)
}
