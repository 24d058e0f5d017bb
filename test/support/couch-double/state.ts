// Everything one double remembers: config sections, databases, cluster-setup state. Survives stop/start.
import { randomBytes } from 'node:crypto'
import type { CouchVersion } from './options.js'
import type { DatabaseRegistry } from './database-registry.js'

export interface DoubleState {
  readonly version: CouchVersion
  /** section → key → value, as `/_node/_local/_config` shows it. */
  readonly config: Map<string, Map<string, string>>
  /** admin name → epoch ms from which a freshly set password works (the 3.x async hashing quirk). */
  readonly adminUsableAt: Map<string, number>
  readonly adminActivationDelayMs: number
  readonly databases: DatabaseRegistry
  readonly uuid: string
  /** Signs AuthSession cookies. */
  cookieSecret: string
  readonly defaultMaxDocumentSize: number
  nodes: string[]
  clusterState: 'cluster_disabled' | 'single_node_disabled' | 'single_node_enabled' | 'cluster_enabled' | 'cluster_finished'
  uuidCounter: number
}

export const isV1 = (state: DoubleState): boolean => state.version.startsWith('1.')
export const isV3 = (state: DoubleState): boolean => state.version.startsWith('3.')

/** Node names as `/_membership` lists them; one node is CouchDB's default `couchdb@127.0.0.1`. */
export function nodeNames (count: number): string[] {
  if (count <= 1) return ['couchdb@127.0.0.1']
  return Array.from({ length: count }, (_, i) => `couchdb@couchdb-${i}.couchdb.default.svc.cluster.local`)
}

export function configValue (state: DoubleState, section: string, key: string): string | undefined {
  return state.config.get(section)?.get(key)
}

/** max_document_size from config when set (the recordings lower it at runtime), else the option. */
export function maxDocumentSize (state: DoubleState): number {
  const configured = Number(configValue(state, 'couchdb', 'max_document_size'))
  return Number.isFinite(configured) && configured > 0 ? configured : state.defaultMaxDocumentSize
}

/** CouchDB's sequential uuid algorithm: a random prefix shared by consecutive ids, an increasing suffix. */
export function nextUuid (state: DoubleState): string {
  state.uuidCounter += 1 + Math.floor(Math.random() * 4000)
  return state.uuid.slice(0, 26) + state.uuidCounter.toString(16).padStart(6, '0')
}

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex')
