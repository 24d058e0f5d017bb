// `finish_cluster` as src/setup/src/setup.erl runs it on the receiving node: make sure the node
// has a uuid, wait for the other nodes, copy the receiving node's admins, then couchdb/uuid, then
// the cookie secret to every other node (stopping at the first copy that fails), then create the
// system databases unless they exist. An unset secret cannot be copied (config:set with
// `undefined` fails), so on fresh nodes the answer is 500 after the admins and the uuid WERE
// copied (cluster-admins.json; test/fixtures/couchdb-3.4/README.md, surprise 27).
import { CouchError, couchErrors } from './errors.js'
import type { Ctx } from './http-kit.js'
import { adminsOf, authConfig, configValue, serverUuid, setAdmin, setConfigValue, type NodeState } from './node-state.js'
import type { DoubleState } from './state.js'

export const SYSTEM_DATABASES = ['_users', '_replicator']

export const hasSystemDatabases = (state: DoubleState): boolean =>
  SYSTEM_DATABASES.every((name) => state.databases.get(name) !== undefined)

/** A `throw({Error, Reason})` in setup.erl: chttpd answers 500 with both as they are. */
export const setupFailure = (error: string, reason: string): CouchError => new CouchError(500, error, reason)

const SYNC_FAILED = 'Cluster setup unable to sync admin passwords'

export function finishCluster (ctx: Ctx): void {
  const { state, node } = ctx
  serverUuid(node)
  const others = state.nodes.filter((other) => other !== node)
  // setup:wait_connected pings the other nodes for a while (test_util:wait, 5 s) and then gives up;
  // the double gives up at once. Assumed from the source, not recorded.
  if (others.some((other) => !other.up)) throw setupFailure('setup_error', 'Cluster setup timed out waiting for nodes to connect')
  for (const [name, value] of adminsOf(node)) for (const other of others) setAdmin(state, other, name, value, false)
  copyValue(others, 'couchdb', 'uuid', configValue(node, 'couchdb', 'uuid'))
  copyValue(others, 'chttpd_auth', 'secret', authConfig(node, 'secret'))
  if (hasSystemDatabases(state)) throw couchErrors.badRequest('Cluster is already finished')
  for (const name of SYSTEM_DATABASES) if (state.databases.get(name) === undefined) state.databases.create(name)
}

/** rpc:multicall of config:set: with no other node it succeeds, whatever the value. */
function copyValue (others: NodeState[], section: string, key: string, value: string | undefined): void {
  if (others.length === 0) return
  if (value === undefined) throw setupFailure('setup_error', SYNC_FAILED)
  for (const other of others) setConfigValue(other, section, key, value)
}
