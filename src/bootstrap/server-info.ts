// What bootstrap needs to know about the server: its version (1.x keeps config at `/_config`,
// 2.x/3.x per node at `/_node/NAME/_config`) and which nodes are in the cluster.
// https://docs.couchdb.org/en/stable/api/server/common.html#api-server-root
import { describeResponse, type CouchClient, type Credentials } from './couch-client.js'
import { BootstrapError } from './types.js'

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
 * Where the config API lives, one path per node: `/_config` on 1.x (one node, no cluster), else
 * `/_node/NAME/_config` for every node in `/_membership` (config is per node).
 * https://docs.couchdb.org/en/stable/api/server/common.html#membership
 */
export async function configBases (couch: CouchClient, info: ServerInfo, auth: Credentials): Promise<string[]> {
  if (info.major < 2) return ['/_config']
  const nodes = await membership(couch, auth)
  return nodes.length <= 1 ? ['/_node/_local/_config'] : nodes.map((node) => `/_node/${encodeURIComponent(node)}/_config`)
}

export async function membership (couch: CouchClient, auth: Credentials): Promise<string[]> {
  const response = await couch.request('GET', '/_membership', { auth })
  const nodes = (response.body as { all_nodes?: unknown } | undefined)?.all_nodes
  if (response.status !== 200 || !Array.isArray(nodes)) {
    throw new BootstrapError(`GET ${couch.url}/_membership failed (${describeResponse(response)}).`)
  }
  return nodes.filter((node): node is string => typeof node === 'string').sort()
}
