// The options and the handle of the CouchDB-protocol double (the API other tests code against).
import type { LatencyModel } from './latency-model.js'

export type CouchVersion = '1.6.1' | '2.3.1' | '3.4.3'

export interface CouchDoubleOptions {
  /** default '3.4.3' */
  version?: CouchVersion
  /** name → plain password; {} = admin party (not allowed on 3.x); default { admin: 'double-admin-password' } */
  admins?: Record<string, string>
  /** _users/_replicator exist at start; default true with cluster 'shared', false with 'fresh' */
  systemDatabases?: boolean
  /** cluster size: one listener (own port) and one config per node, shared databases; default 1 */
  nodes?: number
  /**
   * How the nodes start. 'shared' (default): every node holds the same admin hash, couchdb/uuid and
   * cookie secret, and a cluster of several nodes has bind_address 0.0.0.0, so `/_cluster_setup`
   * reads cluster_enabled, or cluster_finished once the system databases exist. 'fresh': as the
   * Helm chart starts nodes (and cluster-admins.json was recorded): each node hashed the admin
   * password with its own salt, no uuid, no cookie secret, no system databases, bind_address
   * 127.0.0.1, so `/_cluster_setup` reads cluster_disabled even after finish_cluster.
   */
  cluster?: 'shared' | 'fresh'
  /** added before every response; default 0 */
  latencyMs?: number
  /**
   * Answer each request in the time a real CouchDB would take at the current load (COUCHDB_3_4
   * from ./latency-model.ts, or a model of your own); default off. For the bench: it makes every
   * request take milliseconds.
   */
  latencyModel?: LatencyModel
  /** default 8000000 */
  maxDocumentSize?: number
  /**
   * Revisions each document keeps on its path, as `PUT /{db}/_revs_limit` sets on a real server;
   * default 1000 (CouchDB's). PouchDB parses a document's whole rev tree on every read and write,
   * so at a few thousand revisions a PUT costs the double ~19 ms: the bench keeps fewer.
   */
  revsLimit?: number
  /** node 0's port; default 0 (free port); the other nodes always get free ports */
  port?: number
  /**
   * CouchDB 3 hashes a new admin's password asynchronously, so an admin set through the config API
   * answers 401 for a short while. Milliseconds of that delay; default 0 (usable at once).
   */
  adminActivationDelayMs?: number
}

export interface CouchDouble {
  /** node 0's 'http://127.0.0.1:PORT' (no credentials, no trailing slash) */
  readonly url: string
  /** one URL per node, in node order (`urls[0] === url`) */
  readonly urls: string[]
  /** the nodes' names as `/_membership` lists them, in node order */
  readonly nodeNames: string[]
  readonly version: CouchVersion
  /** count of requests that changed state (any successful PUT/POST/DELETE/COPY that wrote something, config and setup included) */
  writes: number
  /** log of handled requests on every node; `path` is the percent-encoded path without the query string */
  requests: Array<{ method: string, path: string, status: number }>
  /**
   * failed password checks since resetCounters(): the 401s that count toward the 3.4 auth lockout
   * (Basic auth of an existing user, any POST /_session), counted whatever the lockout mode.
   * Refusals of a locked-out key (403) are not password checks and are not counted.
   */
  readonly authFailures: number
  /** the most requests the latency model held at once since resetCounters() (0 while it is off) */
  readonly deepestModelledQueue: number
  resetCounters (): void
  setLatency (ms: number): void
  /** turns the latency model on (with this model) or off (undefined) */
  setLatencyModel (model: LatencyModel | undefined): void
  /** every node: stop answering (close listeners + destroy sockets), keep all data in memory */
  stop (): Promise<void>
  /** every node: listen again on the same ports with the same data (a restart: lockout counts are forgotten) */
  start (): Promise<void>
  /** node i goes down: its listener closes, it leaves `all_nodes` but stays in `cluster_nodes` */
  stopNode (i: number): Promise<void>
  /** node i comes back on its port with its config (a restart, as start()) */
  startNode (i: number): Promise<void>
  /**
   * a partition: the listeners (all, or node i's) keep accepting connections and reading requests
   * but answer nothing until thaw()
   */
  freeze (i?: number): void
  /**
   * handles the requests frozen so far one after another in arrival order (their writes take
   * effect even when the client gave up) and answers them; a longpoll among them holds up the rest
   * until it answers
   */
  thaw (i?: number): void
  /** node i's config value (undefined when not set) */
  nodeConfig (i: number, section: string, key: string): string | undefined
  /** destroy the socket mid-response for the next n requests (any node); the request itself still takes effect */
  cutNextResponses (n: number): void
  /** every AuthSession cookie handed out so far stops working, as after a new cookie secret on every node */
  expireSessions (): void
  /** stop and free everything (frozen requests are dropped unhandled) */
  close (): Promise<void>
}
