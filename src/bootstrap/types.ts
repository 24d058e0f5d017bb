// What a bootstrap step is and what it reports. A step first *checks* (reads only) and decides;
// when something must change it hands back a `change` whose `apply` writes and re-reads on a
// lost race. `--dry-run` stops after the check, so a dry run can never write.
import type { CouchClient } from './couch-client.js'
import type { ServerInfo } from './server-info.js'

export type StepStatus = 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed'

export interface StepOutcome {
  status: StepStatus
  /** One sentence for people; never carries a password, hash or secret. */
  message: string
  /** Per CouchDB node, what this step wrote there (`admin hash`, `uuid`, `secret`; [] = unchanged). */
  nodes?: Record<string, string[]>
}

export interface Change {
  status: 'created' | 'updated'
  /** What would change, said before changing it (the `--dry-run` sentence). */
  plan: string
  /** Writes; on 409/412 re-reads and compares. Returns the final outcome (may be `unchanged` when another bootstrap won the race). */
  apply: () => Promise<StepOutcome>
}

export type Decision = StepOutcome | Change

export interface BootstrapSettings {
  /** Server URL without credentials. */
  url: string
  username: string
  password: string
  database: string
  appUsername?: string
  appPassword?: string
  /** Expected CouchDB nodes; 1 = single node. */
  nodes: number
  waitTimeoutMs: number
  requestTimeoutMs: number
  /** The migration lock's lease (`--lease`); default 30 s (migrations/lease.ts). */
  migrationLeaseMs?: number
}

export interface StepContext {
  settings: BootstrapSettings
  couch: CouchClient
  dryRun: boolean
  /** `GET /`, read once per run (the version decides config paths). */
  server: () => Promise<ServerInfo>
  /**
   * `admin` while credentials should be sent; `anonymous` during a dry run on an admin-party
   * server, where the admin does not exist yet (and every request is an admin request).
   */
  auth: 'admin' | 'anonymous'
  sleep: (ms: number) => Promise<void>
  random: () => number
  /** Progress for people (stderr); never a password. */
  log: (message: string) => void
}

export interface Step<Name extends string = string> {
  name: Name
  describe: string
  /** Left out of a run that names no step (`rotate-password`: an operator's action). */
  onlyWhenNamed?: boolean
  check: (context: StepContext) => Promise<Decision>
}

export interface StepReport extends StepOutcome {
  /** A StepName (steps.ts). */
  name: string
  durationMs: number
}

export interface BootstrapReport {
  ok: boolean
  dryRun: boolean
  url: string
  /** CouchDB version from `GET /`, when a step read it. */
  couchdbVersion?: string
  steps: StepReport[]
}

export function isChange (decision: Decision): decision is Change {
  return 'apply' in decision
}
