// What every node of a cluster must hold alike, and making them hold it. Nodes started the way the
// CouchDB Helm chart starts them differ in three values (recordings: cluster-admins.json):
// - the admin hash: each node hashed the password with its own salt; a session cookie is signed
//   with secret + salt, so a cookie from one node is void on another (test/fixtures/couchdb-3.4/README.md, surprise 29);
// - `[couchdb] uuid`: unset until first needed, then made up by each node on its own;
// - the cookie secret (`[chttpd_auth] secret`; 2.x: `[couch_httpd_auth]`): unset until the first
//   login on that node, and `finish_cluster` fails with 500 "unable to sync admin passwords" when
//   the node receiving it has none (test/fixtures/couchdb-3.4/README.md, surprise 27; setup.erl `sync_auth_secret`).
// For each value, every racing bootstrap picks the same one: the first node's, in name order, that
// can be kept (for the hash: one that matches the password), else a new one. A run that found a
// value to keep never writes the node it came from, so once every run has read the first node's
// value it stays, and runs that started with different new values converge when they re-read:
// the loop below repeats read → plan → write until a read needs no write.
// https://github.com/apache/couchdb/blob/3.4.3/src/setup/src/setup.erl
import { randomBytes } from 'node:crypto'
import { backoffDelay } from './backoff.js'
import type { Credentials } from './couch-client.js'
import { configBase, readConfigValue, writeConfigValue } from './node-config.js'
import { adminHashMatches, hashAdminPassword } from './password-hash.js'
import type { ServerInfo } from './server-info.js'
import { BootstrapError } from './bootstrap-error.js'
import { type StepContext } from './types.js'

export interface SharedSetting {
  /** How reports name it: `admin hash`, `uuid`, `secret`. Its value is never printed. */
  label: string
  section: string
  key: string
  /** Whether a node's value may be kept and copied to the others. */
  keeps: (value: string) => Promise<boolean>
  /** The value when no node has one to keep. */
  fresh: () => Promise<string>
}

/** 32 hex digits, the format of CouchDB's own uuids and cookie secrets (couch_uuids:random/0). */
const randomHex32 = async (): Promise<string> => randomBytes(16).toString('hex')
const present = async (value: string): Promise<boolean> => value !== ''

export function adminHashSetting (context: StepContext, info: ServerInfo): SharedSetting {
  const { username, password } = context.settings
  // pbkdf2 with 600000 rounds takes a good part of a second: check each distinct hash once per run.
  const verdicts = new Map<string, Promise<boolean>>()
  return {
    label: 'admin hash',
    section: 'admins',
    key: username,
    keeps: async (value) => {
      if (!verdicts.has(value)) verdicts.set(value, adminHashMatches(value, password).then((matches) => matches === true))
      return await verdicts.get(value)!
    },
    fresh: async () => await hashAdminPassword(password, info)
  }
}

export function clusterSettings (context: StepContext, info: ServerInfo): SharedSetting[] {
  return [
    adminHashSetting(context, info),
    { label: 'uuid', section: 'couchdb', key: 'uuid', keeps: present, fresh: randomHex32 },
    // 3.x reads `[chttpd_auth] secret` (finish_cluster copies only that one); 2.x `[couch_httpd_auth]`.
    { label: 'secret', section: info.major >= 3 ? 'chttpd_auth' : 'couch_httpd_auth', key: 'secret', keeps: present, fresh: randomHex32 }
  ]
}

/** `readings[n][s]`: node n's value of setting s (undefined = not set). */
export type Readings = Array<Array<string | undefined>>
export interface Choice { value: string, from?: string }
export interface ConfigWrite { node: string, setting: SharedSetting, value: string }

export async function readShared (context: StepContext, nodes: readonly string[], settings: readonly SharedSetting[], auth: Credentials): Promise<Readings> {
  return await Promise.all(nodes.map(async (node) => await Promise.all(settings.map(async (setting) =>
    await readConfigValue(context, configBase(node), setting.section, setting.key, auth)))))
}

/** Per setting: the first node's value (name order) that may be kept, else a new one. */
export async function chooseValues (nodes: readonly string[], settings: readonly SharedSetting[], readings: Readings): Promise<Choice[]> {
  return await Promise.all(settings.map(async (setting, s) => {
    for (const [n, node] of nodes.entries()) {
      const value = readings[n]?.[s]
      if (value !== undefined && await setting.keeps(value)) return { value, from: node }
    }
    return { value: await setting.fresh() }
  }))
}

/** Every (node, setting) whose value is not the chosen one. Pure. */
export function planWrites (nodes: readonly string[], settings: readonly SharedSetting[], readings: Readings, choices: readonly Choice[]): ConfigWrite[] {
  return nodes.flatMap((node, n) => settings.flatMap((setting, s) =>
    readings[n]?.[s] === choices[s]!.value ? [] : [{ node, setting, value: choices[s]!.value }]))
}

export interface SyncResult {
  /** node → labels this run wrote there. */
  written: Map<string, string[]>
  /** What this run decided before its first write (or found, when nothing was written). */
  choices: Choice[]
}

const MAX_ROUNDS = 5

/** Read, plan, write until a read needs no write; fails when the nodes keep changing. */
export async function syncShared (context: StepContext, nodes: readonly string[], settings: readonly SharedSetting[], auth: Credentials): Promise<SyncResult> {
  const done: ConfigWrite[] = []
  let first: Choice[] | undefined
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const readings = await readShared(context, nodes, settings, auth)
    const choices = await chooseValues(nodes, settings, readings)
    first ??= choices
    const writes = planWrites(nodes, settings, readings, choices)
    if (writes.length === 0) return { written: byNode(nodes, done), choices: first }
    for (const write of writes) {
      if (await writeConfigValue(context, configBase(write.node), write.setting.section, write.setting.key, write.value, auth) === 'refused') {
        throw new BootstrapError(`Writing the ${write.setting.label} of ${write.node} was refused: the admin party ended under this bootstrap.`)
      }
      done.push(write)
    }
    // Racing runs wrote their own new values at the same moment: spread the re-reads out.
    await context.sleep(backoffDelay({ baseMs: 50, maxMs: 400 }, round, context.random))
  }
  throw new BootstrapError(`the nodes' ${settings.map((setting) => setting.label).join(', ')} kept changing under this bootstrap (${MAX_ROUNDS} rounds of writes did not make them agree).`)
}

/** `couchdb@a: uuid, secret written; couchdb@b: unchanged` */
export function describeWrites (written: ReadonlyMap<string, readonly string[]>, verb = ' written'): string {
  return [...written].map(([node, labels]) => `${node}: ${labels.length === 0 ? 'unchanged' : labels.join(', ') + verb}`).join('; ')
}

/** node → labels, for each node in order (all empty to start with). */
export function byNode (nodes: readonly string[], writes: readonly ConfigWrite[] = []): Map<string, string[]> {
  const labels = new Map<string, string[]>(nodes.map((node) => [node, []]))
  for (const write of writes) {
    const list = labels.get(write.node)
    if (list !== undefined && !list.includes(write.setting.label)) list.push(write.setting.label)
  }
  return labels
}

/** `admin hash, uuid and secret` */
export function listLabels (settings: readonly SharedSetting[]): string {
  const names = settings.map((setting) => setting.label)
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`
}

/** `admin hash of couchdb@a, new uuid, new secret` */
export function describeChoices (settings: readonly SharedSetting[], choices: readonly Choice[]): string {
  return settings.map((setting, s) => choices[s]?.from === undefined ? `new ${setting.label}` : `${setting.label} of ${choices[s]!.from}`).join(', ')
}
