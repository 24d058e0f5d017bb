// Runs the named steps in their fixed order and builds one report. A step that fails stops the
// run (later steps depend on it); the rest are reported as not run, so refused credentials are
// never sent again in the same run (credential-guard.ts). Every sentence passes through `redact`
// with both passwords, so no error text (a URL, an echoed body) can leak them.
import { ConfigError, type Config } from '../config.js'
import { redact } from '../redact.js'
import { sleep as realSleep } from './backoff.js'
import { createCouchClient, type CouchClient } from './couch-client.js'
import { guardCredentials } from './credential-guard.js'
import { migrationStatus } from './migrations/status.js'
import { readServerInfo, type ServerInfo } from './server-info.js'
import { DEFAULT_STEP_NAMES, STEPS, type StepName } from './steps.js'
import { designDocsStep } from './steps/design-docs.js'
import type { DesignDocument } from '../store/design-docs.js'
import {
  isChange,
  type BootstrapReport, type BootstrapSettings, type Step, type StepContext, type StepOutcome, type StepReport
} from './types.js'

export interface BootstrapOptions {
  /** Which steps; default all but those run only when named. Always run in the fixed order, each once. */
  steps?: readonly StepName[]
  dryRun?: boolean
  /** Overrides OVERMIND_BOOTSTRAP_TIMEOUT_MS (the `--timeout` flag). */
  waitTimeoutMs?: number
  /** The migration lock's lease (the `--lease` flag). */
  migrationLeaseMs?: number
  /** Called as each step finishes (for progress output). */
  onStep?: (step: StepReport) => void
  /** Progress sentences (already scrubbed). */
  log?: (message: string) => void
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  /** How requests reach CouchDB; default fetch to the configured URL (tests script a cluster here). */
  client?: CouchClient
  /** What `design-docs` deploys; default the service's (src/store/design-docs.ts). */
  designDocuments?: readonly DesignDocument[]
}

/** The CouchDB part of the configuration, or ConfigError (exit 2) when bootstrap cannot run. */
export function bootstrapSettings (config: Config, waitTimeoutMs?: number): BootstrapSettings {
  if (config.store.kind !== 'couchdb') {
    throw new ConfigError('bootstrap needs CouchDB: set COUCHDB_URL, or COUCHDB_SERVICE_HOST (and COUCHDB_SERVICE_PORT).')
  }
  const { url, username, password, database, requestTimeoutMs } = config.store.couch
  if (username === undefined || password === undefined) {
    throw new ConfigError('bootstrap needs the CouchDB server admin: set COUCHDB_USERNAME and COUCHDB_PASSWORD (or COUCHDB_PASSWORD_FILE).')
  }
  const { appUsername, appPassword, nodes } = config.bootstrap
  if (appUsername !== undefined && appPassword === undefined) {
    throw new ConfigError('COUCHDB_APP_USERNAME is set but COUCHDB_APP_PASSWORD (or COUCHDB_APP_PASSWORD_FILE) is not.')
  }
  if (appUsername === undefined && appPassword !== undefined) {
    throw new ConfigError('COUCHDB_APP_PASSWORD is set but COUCHDB_APP_USERNAME is not.')
  }
  if (appUsername !== undefined && appUsername === username) {
    throw new ConfigError('COUCHDB_APP_USERNAME must differ from COUCHDB_USERNAME: the app user is the non-admin one.')
  }
  return { url, username, password, database, appUsername, appPassword, nodes, waitTimeoutMs: waitTimeoutMs ?? config.bootstrap.waitTimeoutMs, requestTimeoutMs }
}

/** `overmind bootstrap` and `overmind serve --bootstrap`. Throws ConfigError only; step failures are in the report. */
export async function runBootstrap (config: Config, options: BootstrapOptions = {}): Promise<BootstrapReport> {
  return await runSteps(withLease(bootstrapSettings(config, options.waitTimeoutMs), options), options)
}

/** `overmind bootstrap --status`: the migration history and the lock, as lines for people. */
export async function runMigrationStatus (config: Config, options: BootstrapOptions = {}): Promise<{ ok: boolean, text: string }> {
  const settings = bootstrapSettings(config, options.waitTimeoutMs)
  const { context, scrub } = stepContext(settings, options)
  const status = await migrationStatus(context)
  return { ok: status.ok, text: scrub(status.text) }
}

function withLease (settings: BootstrapSettings, options: BootstrapOptions): BootstrapSettings {
  return options.migrationLeaseMs === undefined ? settings : { ...settings, migrationLeaseMs: options.migrationLeaseMs }
}

/** The context every step gets, and the scrubber of both passwords. */
function stepContext (settings: BootstrapSettings, options: BootstrapOptions): { context: StepContext, scrub: (text: string) => string, version: () => string | undefined } {
  const secrets = [settings.password, settings.appPassword]
  const scrub = (text: string): string => redact(text, secrets)
  const who = (name: string): string => name === settings.appUsername ? `COUCHDB_APP_USERNAME "${name}"` : `COUCHDB_USERNAME "${name}"`
  const couch = guardCredentials(options.client ?? createCouchClient(settings.url, settings.requestTimeoutMs), who)
  let info: Promise<ServerInfo> | undefined
  let version: string | undefined
  const context: StepContext = {
    settings,
    couch,
    dryRun: options.dryRun ?? false,
    auth: 'admin',
    server: async () => {
      info ??= readServerInfo(couch).catch((error: unknown) => { info = undefined; throw error })
      const read = await info
      version = read.version
      return read
    },
    sleep: options.sleep ?? realSleep,
    random: options.random ?? Math.random,
    log: (message) => options.log?.(scrub(message))
  }
  return { context, scrub, version: () => version }
}

export async function runSteps (settings: BootstrapSettings, options: BootstrapOptions = {}): Promise<BootstrapReport> {
  const { context, scrub, version: readVersion } = stepContext(withLease(settings, options), options)
  const wanted = new Set(options.steps ?? DEFAULT_STEP_NAMES)
  const report: BootstrapReport = { ok: true, dryRun: context.dryRun, url: settings.url, steps: [] }
  let failed: StepName | undefined
  const steps = STEPS.map((step): Step => step.name === 'design-docs' && options.designDocuments !== undefined ? designDocsStep(options.designDocuments) : step)
  for (const step of steps.filter((candidate) => wanted.has(candidate.name as StepName))) {
    const started = Date.now()
    let outcome: StepOutcome
    if (failed !== undefined) {
      outcome = { status: 'skipped', message: `not run: step ${failed} failed.` }
    } else {
      try {
        const decision = await step.check(context)
        if (!isChange(decision)) outcome = decision
        else if (context.dryRun) outcome = { status: decision.status, message: decision.plan }
        else outcome = await decision.apply()
      } catch (error) {
        outcome = { status: 'failed', message: error instanceof Error ? error.message : String(error) }
        failed = step.name as StepName
        report.ok = false
      }
    }
    const stepReport: StepReport = {
      name: step.name,
      status: outcome.status,
      message: scrub(outcome.message),
      ...(outcome.nodes === undefined ? {} : { nodes: outcome.nodes }),
      durationMs: Date.now() - started
    }
    report.steps.push(stepReport)
    options.onStep?.(stepReport)
  }
  const version = readVersion()
  if (version !== undefined) report.couchdbVersion = version
  return report
}
