// `overmind bootstrap [STEP...]`: provisions CouchDB for the service, idempotently and
// race-safely, for Kubernetes init containers. Thin wrapper: parse flags, load config, run
// src/bootstrap, print, map the outcome to the documented exit codes.
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, type Env } from '../config.js'
import { formatStep, formatSummary, reportJson, runBootstrap, runMigrationStatus, STEP_NAMES, STEPS, type StepName } from '../bootstrap/index.js'

const EXIT_DONE = 0
const EXIT_STEP_FAILED = 1
const EXIT_BAD_USAGE = 2

export interface CliIo {
  env?: Env
  stdout?: (text: string) => void
  stderr?: (text: string) => void
}

export function usage (): string {
  return [
    'usage: overmind bootstrap [options] [STEP...]',
    '',
    'Prepares CouchDB for overmind. Every step checks first and writes only what is missing or',
    'different, so running it again (or three copies at once) is safe.',
    '',
    'steps (always run in this order; none named = all but rotate-password):',
    ...STEPS.map((step) => `  ${step.name.padEnd(18)} ${step.describe}`),
    '',
    'options:',
    '  --timeout DURATION  how long `wait` (and `cluster`) wait for CouchDB: 90, 90s, 1500ms, 2m',
    '                      (default OVERMIND_BOOTSTRAP_TIMEOUT_MS, else 120 s)',
    '  --dry-run           check only: report what would change, write nothing (migrate: which',
    '                      migrations would run and how many documents each would change)',
    '  --status            print the migration history and the migration lock, run nothing',
    '                      (exit 1 when an applied migration\'s code has changed)',
    '  --lease DURATION    the migration lock\'s lease, renewed while migrating (default 30s);',
    '                      a crashed holder\'s lock is taken over once it has not been renewed',
    '                      for this long',
    '  --json              print one JSON report on stdout instead of lines',
    '  -h, --help          this text',
    '',
    'environment: COUCHDB_URL or COUCHDB_SERVICE_HOST/COUCHDB_SERVICE_PORT, COUCHDB_USERNAME,',
    'COUCHDB_PASSWORD(_FILE), COUCHDB_APP_USERNAME, COUCHDB_APP_PASSWORD(_FILE), OVERMIND_DATABASE,',
    'OVERMIND_COUCHDB_NODES, OVERMIND_BOOTSTRAP_TIMEOUT_MS. Passwords are never printed.',
    '',
    'exit codes: 0 done (every step created, updated, unchanged or skipped)',
    '            1 a step failed (the report says which and why)',
    '            2 bad usage or configuration (nothing was sent to CouchDB)'
  ].join('\n')
}

/** `90` (seconds), `90s`, `1500ms`, `2m` → milliseconds; undefined when unreadable. */
export function parseDuration (text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (match === null) return undefined
  const factor = match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000
  return Math.round(Number(match[1]) * factor)
}

export interface BootstrapArgs {
  steps: StepName[]
  timeoutMs?: number
  leaseMs?: number
  dryRun: boolean
  status: boolean
  json: boolean
  help: boolean
}

/** Throws ConfigError on anything it does not understand (exit 2). */
export function parseBootstrapArgs (args: string[]): BootstrapArgs {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        timeout: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        status: { type: 'boolean', default: false },
        lease: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      }
    })
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error))
  }
  const steps = parsed.positionals.map((name) => {
    const step = STEP_NAMES.find((known) => known === name)
    if (step === undefined) throw new ConfigError(`unknown step ${JSON.stringify(name)}; steps are ${STEP_NAMES.join(', ')}.`)
    return step
  })
  let timeoutMs: number | undefined
  if (parsed.values.timeout !== undefined) {
    timeoutMs = parseDuration(parsed.values.timeout)
    if (timeoutMs === undefined) throw new ConfigError(`--timeout takes a duration such as 120, 120s, 1500ms or 2m, not ${JSON.stringify(parsed.values.timeout)}.`)
  }
  let leaseMs: number | undefined
  if (parsed.values.lease !== undefined) {
    leaseMs = parseDuration(parsed.values.lease)
    if (leaseMs === undefined || leaseMs < 100) throw new ConfigError(`--lease takes a duration of at least 100ms, such as 30s or 2m, not ${JSON.stringify(parsed.values.lease)}.`)
  }
  if (parsed.values.status && steps.some((step) => step !== 'migrate')) throw new ConfigError('--status shows the migrations: name no step but migrate.')
  return { steps, timeoutMs, leaseMs, dryRun: parsed.values['dry-run'], status: parsed.values.status, json: parsed.values.json, help: parsed.values.help }
}

export async function cli (args: string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((text: string) => { process.stdout.write(text) })
  const stderr = io.stderr ?? ((text: string) => { process.stderr.write(text) })
  let options: BootstrapArgs
  let config
  try {
    options = parseBootstrapArgs(args)
    if (options.help) {
      stdout(usage() + '\n')
      return EXIT_DONE
    }
    config = loadConfig(io.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    stderr(`overmind bootstrap: ${error.message}\n\n${usage()}\n`)
    return EXIT_BAD_USAGE
  }
  if (options.status) return await printStatus(config, stdout, stderr)
  let report
  try {
    report = await runBootstrap(config, {
      migrationLeaseMs: options.leaseMs,
      steps: options.steps.length > 0 ? options.steps : undefined,
      dryRun: options.dryRun,
      waitTimeoutMs: options.timeoutMs,
      // Text mode shows each step as it finishes; JSON mode keeps stdout to the one document.
      onStep: options.json ? undefined : (step) => { stdout(formatStep(step, options.dryRun) + '\n') },
      log: (message) => { stderr(`overmind bootstrap: ${message}\n`) }
    })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    stderr(`overmind bootstrap: ${error.message}\n`)
    return EXIT_BAD_USAGE
  }
  if (options.json) stdout(reportJson(report) + '\n')
  else stdout(formatSummary(report) + '\n')
  if (!report.ok) {
    const failed = report.steps.find((step) => step.status === 'failed')
    if (failed !== undefined) stderr(`overmind bootstrap: step ${failed.name} failed: ${failed.message}\n`)
  }
  return report.ok ? EXIT_DONE : EXIT_STEP_FAILED
}

async function printStatus (config: ReturnType<typeof loadConfig>, stdout: (text: string) => void, stderr: (text: string) => void): Promise<number> {
  try {
    const status = await runMigrationStatus(config)
    stdout(status.text + '\n')
    return status.ok ? EXIT_DONE : EXIT_STEP_FAILED
  } catch (error) {
    if (error instanceof ConfigError) {
      stderr(`overmind bootstrap: ${error.message}\n`)
      return EXIT_BAD_USAGE
    }
    stderr(`overmind bootstrap: reading the migration status failed: ${error instanceof Error ? error.message : String(error)}\n`)
    return EXIT_STEP_FAILED
  }
}
