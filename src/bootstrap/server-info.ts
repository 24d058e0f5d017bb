// What bootstrap needs to know about the server: its version (1.x keeps config at `/_config`,
// 2.x/3.x per node at `/_node/NAME/_config`).
// https://docs.couchdb.org/en/stable/api/server/common.html#api-server-root
import { describeResponse, type CouchClient, type Credentials } from './couch-client.js'
import { readMembership } from './membership.js'
import { configBase } from './node-config.js'
import { BootstrapError } from './bootstrap-error.js'

export interface ServerInfo {
  version: string
  major: number
  minor: number
}

export async function readServerInfo (couch: CouchClient): Promise<ServerInfo> {
  // Anonymous on purpose: `/` is public, and wrong credentials would turn it into a 401.
  const response = await couch.request('GET', '/', { auth: 'anonymous' })
  const version = (response.body as { version?: unknown } | undefined)?.version
  if (response.status !== 200 || typeof version !== 'string') {
    throw new BootstrapError(`GET ${couch.url}/ did not answer like CouchDB (${describeResponse(response)}).`)
  }
  const [major = NaN, minor = 0] = version.split('.').map(Number)
  if (!Number.isInteger(major)) throw new BootstrapError(`CouchDB at ${couch.url} reports an unreadable version ${JSON.stringify(version)}.`)
  return { version, major, minor }
}

/**
 * Where the config API lives, one base per node: `/_config` on 1.x (one node, no cluster), else
 * `/_node/NAME/_config` for every node in `/_membership` (config is per node); a single node is
 * `/_node/_local/_config`.
 */
export async function configBases (couch: CouchClient, info: ServerInfo, auth: Credentials): Promise<string[]> {
  if (info.major < 2) return [configBase('legacy')]
  const nodes = (await readMembership(couch, auth)).all
  return nodes.length <= 1 ? [configBase('_local')] : nodes.map(configBase)
}
