// `cluster`: for OVERMIND_COUCHDB_NODES=N > 1, wait until N nodes are in `/_membership`, make
// sure every node holds the same admin hash (config is per node), then `finish_cluster` once.
// `/_cluster_setup` answers `cluster_finished` afterwards, so a second run (or a racing one, whose
// POST is refused) reads that state and reports unchanged.
// https://docs.couchdb.org/en/stable/setup/cluster.html#the-cluster-setup-api
import { planAdminSync, writeAdminValue } from '../admin-config.js'
import { poll, WAIT_BACKOFF } from '../backoff.js'
import { describeResponse } from '../couch-client.js'
import { membership } from '../server-info.js'
import { adminCredentials } from '../session.js'
import { BootstrapError, type Step, type StepContext } from '../types.js'

async function setupState (context: StepContext): Promise<string> {
  const response = await context.couch.request('GET', '/_cluster_setup', { auth: adminCredentials(context) })
  const state = (response.body as { state?: unknown } | undefined)?.state
  if (response.status !== 200 || typeof state !== 'string') throw new BootstrapError(`GET /_cluster_setup failed (${describeResponse(response)}).`)
  return state
}

export const clusterStep: Step = {
  name: 'cluster',
  describe: 'wait for OVERMIND_COUCHDB_NODES nodes, one admin on all, finish the cluster setup once',
  async check (context) {
    const expected = context.settings.nodes
    if (expected <= 1) return { status: 'skipped', message: 'single node (OVERMIND_COUCHDB_NODES=1): nothing to join.' }
    const info = await context.server()
    if (info.major < 2) throw new BootstrapError(`CouchDB ${info.version} has no clustering; set OVERMIND_COUCHDB_NODES=1.`)
    const auth = adminCredentials(context)
    let seen: string[] = []
    const { value: nodes } = await poll(async () => {
      seen = await membership(context.couch, auth)
      if (seen.length >= expected) return seen
      context.log(`waiting for ${expected} CouchDB nodes, ${seen.length} in /_membership`)
      return undefined
    }, { timeoutMs: context.settings.waitTimeoutMs, policy: WAIT_BACKOFF, sleep: context.sleep, random: context.random })
    if (nodes === undefined) throw new BootstrapError(`only ${seen.length} of ${expected} nodes joined /_membership in time (${seen.join(', ')}).`)
    const bases = nodes.map((node) => `/_node/${encodeURIComponent(node)}/_config`)
    const sync = await planAdminSync(context, bases, info, auth)
    const state = await setupState(context)
    if (state === 'cluster_finished' && sync.targets.length === 0) {
      return { status: 'unchanged', message: `cluster of ${nodes.length} nodes is finished, one admin hash on every node.` }
    }
    const plans = [
      ...(sync.targets.length > 0 ? [`write the admin to ${sync.targets.length} node(s)`] : []),
      ...(state === 'cluster_finished' ? [] : [`finish the cluster setup of ${nodes.length} nodes (state ${state})`])
    ]
    return {
      status: 'updated',
      plan: `would ${plans.join(' and ')}.`,
      apply: async () => {
        const written = sync.targets.length > 0 ? await writeAdminValue(context, sync.targets, sync.value, auth) : 0
        let finished = false
        if (state !== 'cluster_finished') {
          const response = await context.couch.request('POST', '/_cluster_setup', { auth, body: { action: 'finish_cluster' } })
          finished = response.status === 200 || response.status === 201
          // Refused: another bootstrap finished it first, or it really failed. The state tells.
          if (!finished && await setupState(context) !== 'cluster_finished') {
            throw new BootstrapError(`finish_cluster failed (${describeResponse(response)}).`)
          }
        }
        if (written === 0 && !finished) return { status: 'unchanged', message: `cluster of ${nodes.length} nodes was finished meanwhile by another bootstrap.` }
        return { status: 'updated', message: [written > 0 ? `wrote the admin to ${written} node(s)` : '', finished ? `finished the cluster setup of ${nodes.length} nodes` : ''].filter(Boolean).join(' and ') + '.' }
      }
    }
  }
}
