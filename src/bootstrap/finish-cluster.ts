// `POST /_cluster_setup {"action":"finish_cluster"}`, as CouchDB's setup.erl does it: the node that
// receives it (behind a Service: any node) copies its own `[admins]`, `couchdb/uuid` (made up first
// when unset) and, on 3.x, `chttpd_auth/secret` to every other node, and answers 500 setup_error
// "Cluster setup unable to sync admin passwords" for ANY copy that fails; then it creates `_users`
// and `_replicator` when one is missing, else answers 400 "Cluster is already finished".
// `GET /_cluster_setup` is no proof either way: it says `cluster_disabled` after a successful
// finish while `bind_address` is 127.0.0.1 (test/fixtures/couchdb-3.4/README.md, surprise 27). The system databases are the proof.
// https://github.com/apache/couchdb/blob/3.4.3/src/setup/src/setup.erl
// https://github.com/apache/couchdb/blob/3.4.3/src/setup/src/setup_httpd.erl
import { describeResponse, type CouchResponse, type Credentials } from './couch-client.js'
import { missingSystemDatabases } from './databases.js'
import type { StepContext } from './types.js'

export type FinishAnswer =
  | { kind: 'finished', created: string[] }
  | { kind: 'finished-elsewhere', detail: string }
  | { kind: 'failed', detail: string, meaning: string }

/** What a refusal means, for people. Pure. */
export function finishMeaning (response: CouchResponse): string {
  const reason = (response.body as { reason?: unknown } | undefined)?.reason
  if (reason === 'Cluster setup unable to sync admin passwords') {
    return 'the node that received it could not copy its admins, couchdb/uuid or chttpd_auth/secret to every other ' +
      'node (CouchDB gives this one reason for any failed copy; a node without chttpd_auth/secret, or a node that ' +
      'went away meanwhile, is the usual cause)'
  }
  if (reason === 'Cluster setup timed out waiting for nodes to connect') {
    return 'a node in cluster_nodes did not connect to the one that received it (same Erlang cookie? reachable on the distribution port?)'
  }
  return 'CouchDB did not finish the cluster setup'
}

/** Sends finish_cluster once; a refusal is "done" when the system databases exist afterwards. */
export async function finishCluster (context: StepContext, auth: Credentials, missing: readonly string[]): Promise<FinishAnswer> {
  const response = await context.couch.request('POST', '/_cluster_setup', { auth, body: { action: 'finish_cluster' } })
  if (response.status === 201 || response.status === 200) return { kind: 'finished', created: [...missing] }
  const detail = describeResponse(response)
  const already = response.status === 400 && (response.body as { reason?: unknown } | undefined)?.reason === 'Cluster is already finished'
  // Another bootstrap's finish_cluster (or system-databases step) may have won the race.
  if (already || (await missingSystemDatabases(context.couch, auth)).length === 0) return { kind: 'finished-elsewhere', detail }
  return { kind: 'failed', detail, meaning: finishMeaning(response) }
}
