// One CouchDB node's own state. CouchDB keeps config per node (its local.ini): admin hashes,
// `couchdb/uuid`, the cookie secret, `[chttpd_auth_lockout]`; the lockout counts live in the node's
// memory. Databases are cluster-wide and live in DoubleState.
import { createLockoutTable, type LockoutTable } from './lockout.js'
import type { CouchVersion } from './options.js'
import { hashAdminPassword, isHashed } from './passwords.js'
import { randomHex, type DoubleState } from './state.js'

export type Config = Map<string, Map<string, string>>

export interface NodeState {
  readonly name: string
  readonly config: Config
  /** admin name → epoch ms from which a freshly set plain password works (the 3.x async hashing). */
  readonly adminUsableAt: Map<string, number>
  /** Failed password checks per (peer, user, salt); emptied when the node (re)starts. */
  lockout: LockoutTable
  /** false after stopNode: out of `all_nodes`, `/_node/<it>/...` answers 412 nodedown. */
  up: boolean
}

export function configValue (node: NodeState, section: string, key: string): string | undefined {
  return node.config.get(section)?.get(key)
}

export function setConfigValue (node: NodeState, section: string, key: string, value: string): void {
  const values = node.config.get(section) ?? new Map<string, string>()
  values.set(key, value)
  node.config.set(section, values)
}

export const adminsOf = (node: NodeState): Map<string, string> => node.config.get('admins') ?? new Map()

/** 3.x reads `[chttpd_auth]` first, then `[couch_httpd_auth]` (chttpd_util:get_chttpd_auth_config). */
export function authConfig (node: NodeState, key: string): string | undefined {
  return configValue(node, 'chttpd_auth', key) ?? configValue(node, 'couch_httpd_auth', key)
}

const secretSection = (version: CouchVersion): string => version.startsWith('3.') ? 'chttpd_auth' : 'couch_httpd_auth'

/** The cookie secret, made by the first successful POST /_session (couch_httpd_auth:ensure_cookie_auth_secret). */
export function ensureCookieSecret (state: DoubleState, node: NodeState): string {
  const current = authConfig(node, 'secret')
  if (current !== undefined) return current
  const secret = randomHex(16)
  setConfigValue(node, secretSection(state.version), 'secret', secret)
  return secret
}

/** `couchdb/uuid`, generated and stored on first need (couch_server:get_uuid). */
export function serverUuid (node: NodeState): string {
  const current = configValue(node, 'couchdb', 'uuid')
  if (current !== undefined) return current
  const uuid = randomHex(16)
  setConfigValue(node, 'couchdb', 'uuid', uuid)
  return uuid
}

/**
 * Stores an admin entry. A pre-hashed value is kept as it is and works at once; a plain password
 * gets a NEW salt, and through the config API (`delayed`) works only after CouchDB's async hashing.
 */
export function setAdmin (state: DoubleState, node: NodeState, name: string, value: string, delayed: boolean): void {
  if (isHashed(value)) {
    node.adminUsableAt.delete(name)
    setConfigValue(node, 'admins', name, value)
    return
  }
  if (delayed) node.adminUsableAt.set(name, Date.now() + state.adminActivationDelayMs)
  else node.adminUsableAt.delete(name)
  setConfigValue(node, 'admins', name, hashAdminPassword(value, state.version.startsWith('3.') ? 'sha256' : 'sha1'))
}

/** max_document_size from config when set (the recordings lower it at runtime), else the option. */
export function maxDocumentSize (state: DoubleState, node: NodeState): number {
  const configured = Number(configValue(node, 'couchdb', 'max_document_size'))
  return Number.isFinite(configured) && configured > 0 ? configured : state.defaultMaxDocumentSize
}

export interface NodeSeed {
  version: CouchVersion
  names: string[]
  admins: Record<string, string>
  /** 'shared': one admin hash, uuid and cookie secret on every node; 'fresh': each node on its own. */
  cluster: 'shared' | 'fresh'
  systemDatabases: boolean
}

/**
 * The nodes' start config. 'shared' keeps the double's old single-config behaviour (and, with
 * several nodes, a bind_address other than 127.0.0.1, as a deployed cluster has, so setup can
 * finish). 'fresh' is how the Helm chart starts nodes and how cluster-admins.json was recorded:
 * each node hashed the admin password with its own salt, no uuid, no secret.
 */
export function createNodes (seed: NodeSeed): NodeState[] {
  const flavour = seed.version.startsWith('3.') ? 'sha256' : 'sha1'
  const hashAll = (): Map<string, string> => new Map(Object.entries(seed.admins).map(([name, password]) => [name, hashAdminPassword(password, flavour)]))
  const shared = seed.cluster === 'shared'
  const sharedAdmins = hashAll()
  const uuid = randomHex(16)
  const secret = randomHex(16)
  const several = seed.names.length > 1
  return seed.names.map((name) => {
    const config: Config = new Map([
      ['admins', shared ? new Map(sharedAdmins) : hashAll()],
      ['chttpd', new Map([['bind_address', shared && several ? '0.0.0.0' : '127.0.0.1']])],
      ['couchdb', new Map(shared ? [['uuid', uuid]] : [])],
    ])
    if (shared && seed.systemDatabases && !several && seed.version.startsWith('3.')) config.get('couchdb')?.set('single_node', 'true')
    if (shared) config.set(secretSection(seed.version), new Map([['secret', secret]]))
    const node: NodeState = { name, config, adminUsableAt: new Map(), lockout: createLockoutTable(), up: true }
    return node
  })
}
