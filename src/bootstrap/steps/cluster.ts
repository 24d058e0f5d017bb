// `cluster`: for OVERMIND_COUCHDB_NODES=N > 1, finish a cluster whose nodes joined through a
// seedlist (the CouchDB Helm chart's way), in one run, whichever node each request reaches:
// 1. wait until N nodes are connected and no known node is missing (membership.ts);
// 2. give every node one admin hash, one `couchdb/uuid` and one cookie secret, node by node,
//    re-reading until they agree (cluster-config.ts);
// 3. only then `finish_cluster`, so that the node receiving it has nothing left to copy that could
//    fail (finish-cluster.ts); skipped when `_users` and `_replicator` exist.
// It runs before the databases are created, so that their shards spread over every node.
// https://docs.couchdb.org/en/stable/setup/cluster.html#the-cluster-setup-api
import {
  byNode, chooseValues, clusterSettings, describeChoices, describeWrites, listLabels, planWrites, readShared, syncShared,
  type SharedSetting
} from '../cluster-config.js'
import { missingSystemDatabases } from '../databases.js'
import { finishCluster } from '../finish-cluster.js'
import { readMembership, waitForNodes } from '../membership.js'
import { adminCredentials } from '../session.js'
import { BootstrapError } from '../bootstrap-error.js'
import { type Decision, type Step, type StepContext, type StepOutcome } from '../types.js'

export const clusterStep: Step<'cluster'> = {
  name: 'cluster',
  describe: 'wait for OVERMIND_COUCHDB_NODES nodes, give them one admin hash, uuid and secret, finish the cluster',
  async check (context) {
    const expected = context.settings.nodes
    const info = await context.server()
    if (expected <= 1) return await singleNode(context, info.major)
    if (info.major < 2) throw new BootstrapError(`CouchDB ${info.version} has no clustering; set OVERMIND_COUCHDB_NODES=1.`)
    const auth = adminCredentials(context)
    const nodes = await waitForNodes(context, expected, auth)
    const settings = clusterSettings(context, info)
    const readings = await readShared(context, nodes, settings, auth)
    const writes = planWrites(nodes, settings, readings, await chooseValues(nodes, settings, readings))
    const missing = await missingSystemDatabases(context.couch, auth)
    if (writes.length === 0 && missing.length === 0) {
      const unchanged = byNode(nodes)
      return {
        status: 'unchanged',
        message: `${nodes.length} nodes share one ${listLabels(settings)} (${describeWrites(unchanged)}); _users and _replicator exist, so the cluster is finished.`,
        nodes: Object.fromEntries(unchanged)
      }
    }
    const plans = [
      ...(writes.length > 0 ? [`write ${describeWrites(byNode(nodes, writes), '')}`] : []),
      ...(missing.length > 0 ? [`finish the cluster (creating ${missing.join(' and ')})`] : [])
    ]
    return { status: 'updated', plan: `would ${plans.join(', then ')}.`, apply: async () => await apply(context, nodes, settings) }
  }
}

async function apply (context: StepContext, nodes: string[], settings: SharedSetting[]): Promise<StepOutcome> {
  const auth = adminCredentials(context)
  const synced = await syncShared(context, nodes, settings, auth)
  const wrote = [...synced.written.values()].some((labels) => labels.length > 0)
  const shared = `${nodes.length} nodes share one ${listLabels(settings)} (${describeChoices(settings, synced.choices)}): ${describeWrites(synced.written)}`
  const nodesReport = Object.fromEntries(synced.written)
  const elsewhere = (why: string): StepOutcome =>
    ({ status: wrote ? 'updated' : 'unchanged', message: `${shared}; the cluster was finished meanwhile by another bootstrap (${why}).`, nodes: nodesReport })
  // Checked again: a racing bootstrap may have finished the cluster while this one synced.
  const missing = await missingSystemDatabases(context.couch, auth)
  if (missing.length === 0) return elsewhere('_users and _replicator exist')
  const answer = await finishCluster(context, auth, missing)
  if (answer.kind === 'finished') return { status: 'updated', message: `${shared}; finished the cluster (created ${answer.created.join(' and ')}).`, nodes: nodesReport }
  if (answer.kind === 'finished-elsewhere') return elsewhere(answer.detail)
  throw new BootstrapError(`finish_cluster failed (${answer.detail}): ${answer.meaning}. Before it, ${shared}; now ${await describeNow(context, nodes, settings)}.`)
}

/** What differs right after a failure, read again (a node may have gone away or lost a value). */
async function describeNow (context: StepContext, nodes: string[], settings: SharedSetting[]): Promise<string> {
  let readings
  try {
    readings = await readShared(context, nodes, settings, adminCredentials(context))
  } catch (error) {
    return `the nodes could not be read again (${error instanceof Error ? error.message : String(error)})`
  }
  const odd = nodes.flatMap((node, n) => {
    const labels = settings.flatMap((setting, s) => {
      const value = readings[n]?.[s]
      return value === undefined ? [`${setting.label} missing`] : value === readings[0]?.[s] ? [] : [`${setting.label} unlike ${nodes[0]!}'s`]
    })
    return labels.length === 0 ? [] : [`${node}: ${labels.join(', ')}`]
  })
  return odd.length === 0 ? `all ${nodes.length} nodes still hold the same ${listLabels(settings)}` : odd.join('; ')
}

async function singleNode (context: StepContext, major: number): Promise<Decision> {
  const skipped: Decision = { status: 'skipped', message: 'single node (OVERMIND_COUCHDB_NODES=1): nothing to join.' }
  if (major < 2) return skipped
  const { all } = await readMembership(context.couch, adminCredentials(context))
  if (all.length <= 1) return skipped
  return {
    status: 'skipped',
    message: `OVERMIND_COUCHDB_NODES=1, but /_membership lists ${all.length} nodes (${all.join(', ')}): set OVERMIND_COUCHDB_NODES=${all.length} ` +
      'so that bootstrap gives them one admin hash, uuid and secret and finishes the cluster.'
  }
}
