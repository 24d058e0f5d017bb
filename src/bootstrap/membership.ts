// Which nodes make up the cluster. `/_membership` lists `cluster_nodes` (the nodes the cluster
// knows, from its `_nodes` database) and `all_nodes` (those connected right now, this one
// included): a stopped node leaves `all_nodes` but stays in `cluster_nodes`. A cluster is complete
// when the expected count is connected and no known node is missing; `finish_cluster` itself
// waits for every known node and fails with "timed out waiting for nodes to connect" otherwise.
// https://docs.couchdb.org/en/stable/api/server/common.html#membership
import { poll, WAIT_BACKOFF } from './backoff.js'
import { CouchUnreachable, describeResponse, type CouchClient, type Credentials } from './couch-client.js'
import { BootstrapError } from './bootstrap-error.js'
import { type StepContext } from './types.js'

export interface Membership {
  /** Connected now, sorted. */
  all: string[]
  /** Known to the cluster, sorted. */
  cluster: string[]
}

function names (value: unknown): string[] {
  return Array.isArray(value) ? value.filter((node): node is string => typeof node === 'string').sort() : []
}

export async function readMembership (couch: CouchClient, auth: Credentials, timeoutMs?: number): Promise<Membership> {
  const response = await couch.request('GET', '/_membership', { auth, timeoutMs })
  const body = response.body as { all_nodes?: unknown, cluster_nodes?: unknown } | undefined
  if (response.status !== 200 || !Array.isArray(body?.all_nodes)) {
    throw new BootstrapError(`GET ${couch.url}/_membership failed (${describeResponse(response)}).`)
  }
  return { all: names(body.all_nodes), cluster: names(body.cluster_nodes) }
}

/** Known nodes that are not connected. */
export function missingNodes (membership: Membership): string[] {
  return membership.cluster.filter((node) => !membership.all.includes(node))
}

export function isComplete (membership: Membership, expected: number): boolean {
  return membership.all.length >= expected && missingNodes(membership).length === 0
}

/** What is missing, for the failure after the wait. Pure. */
export function describeIncomplete (membership: Membership | undefined, expected: number): string {
  if (membership === undefined) return `expected ${expected} nodes, /_membership never answered`
  const missing = missingNodes(membership)
  const seen = membership.all.length === 0 ? 'none' : membership.all.join(', ')
  if (missing.length > 0) {
    return `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} in cluster_nodes but not connected (all_nodes: ${seen}); expected ${expected} nodes`
  }
  return `expected ${expected} nodes, saw ${membership.all.length}: ${seen}`
}

/**
 * Polls `/_membership` until the cluster is complete or `waitTimeoutMs` passes. A node that does
 * not answer (a restarting pod behind the Service) is retried; refused credentials are not.
 */
export async function waitForNodes (context: StepContext, expected: number, auth: Credentials): Promise<string[]> {
  let last: Membership | undefined
  const { waitTimeoutMs } = context.settings
  const { value } = await poll(async (remainingMs) => {
    try {
      // Near the deadline a request still gets 200 ms, so the wait ends close to `--timeout`.
      last = await readMembership(context.couch, auth, Math.min(Math.max(remainingMs, 200), context.settings.requestTimeoutMs))
      if (isComplete(last, expected)) return last.all
    } catch (error) {
      if (!(error instanceof CouchUnreachable)) throw error
      context.log(error.message)
    }
    context.log(`waiting for the cluster: ${describeIncomplete(last, expected)}`)
    return undefined
  }, { timeoutMs: waitTimeoutMs, policy: WAIT_BACKOFF, sleep: context.sleep, random: context.random })
  if (value === undefined) throw new BootstrapError(`the cluster was not complete after ${(waitTimeoutMs / 1000).toFixed(1)} s: ${describeIncomplete(last, expected)}.`)
  return value
}
