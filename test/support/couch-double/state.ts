// What the nodes of one double share: the version, the databases (cluster-wide in CouchDB) and the
// list of nodes, each with its own config (./node-state.ts). Survives stop/start.
import { randomBytes } from 'node:crypto'
import type { CouchVersion } from './options.js'
import type { DatabaseRegistry } from './database-registry.js'
import type { NodeState } from './node-state.js'

export interface DoubleState {
  readonly version: CouchVersion
  readonly databases: DatabaseRegistry
  /** `cluster_nodes` of `/_membership`: every configured node, up or not. */
  nodes: NodeState[]
  /** CouchDB 3 hashes a plain admin password set through the config API asynchronously. */
  readonly adminActivationDelayMs: number
  readonly defaultMaxDocumentSize: number
  /** Prefix of the sequential ids `/_uuids` and `POST /db` hand out. */
  readonly uuidPrefix: string
  uuidCounter: number
}

export const isV1 = (state: DoubleState): boolean => state.version.startsWith('1.')
export const isV3 = (state: DoubleState): boolean => state.version.startsWith('3.')

/** Node names as `/_membership` lists them; one node is CouchDB's default `couchdb@127.0.0.1`. */
export function nodeNames (count: number): string[] {
  if (count <= 1) return ['couchdb@127.0.0.1']
  return Array.from({ length: count }, (_, i) => `couchdb@couchdb-${i}.couchdb.default.svc.cluster.local`)
}

/** CouchDB's sequential uuid algorithm: a random prefix shared by consecutive ids, an increasing suffix. */
export function nextUuid (state: DoubleState): string {
  state.uuidCounter += 1 + Math.floor(Math.random() * 4000)
  return state.uuidPrefix.slice(0, 26) + state.uuidCounter.toString(16).padStart(6, '0')
}

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex')
