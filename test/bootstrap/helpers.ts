// Shared by the bootstrap tests: run the CLI in-process against a server and collect its output.
import { randomBytes } from 'node:crypto'
import { cli } from '../../src/cli/bootstrap.js'
import type { BootstrapReport } from '../../src/bootstrap/index.js'
import { createCouchClient, type CouchClient } from '../../src/bootstrap/couch-client.js'
import { readServerInfo } from '../../src/bootstrap/server-info.js'
import type { StepContext } from '../../src/bootstrap/types.js'
import type { TestCouch } from '../support/test-couch.js'

export const ADMIN = 'admin'
export const ADMIN_PASSWORD = 'Adm1n-S3cret-' + randomBytes(4).toString('hex')
export const APP_PASSWORD = 'App-S3cret-' + randomBytes(4).toString('hex')

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export function uniqueName (prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`
}

export function bootstrapEnv (url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    COUCHDB_URL: url,
    COUCHDB_USERNAME: ADMIN,
    COUCHDB_PASSWORD: ADMIN_PASSWORD,
    OVERMIND_BOOTSTRAP_TIMEOUT_MS: '5000',
    OVERMIND_COUCHDB_TIMEOUT_MS: '2000',
    ...extra
  }
}

export async function runCli (args: string[], env: Record<string, string>): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await cli(args, { env, stdout: (text) => { stdout += text }, stderr: (text) => { stderr += text } })
  return { code, stdout, stderr }
}

/** `--json` run: the exit code and the one report. */
export async function runJson (args: string[], env: Record<string, string>): Promise<CliRun & { report: BootstrapReport }> {
  const run = await runCli(['--json', ...args], env)
  return { ...run, report: JSON.parse(run.stdout) as BootstrapReport }
}

export function statuses (report: BootstrapReport): Record<string, string> {
  return Object.fromEntries(report.steps.map((step) => [step.name, step.status]))
}

export async function couchRequest (url: string, method: string, path: string, auth?: { name: string, password: string }, body?: unknown): Promise<{ status: number, body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (auth !== undefined) headers.authorization = 'Basic ' + Buffer.from(`${auth.name}:${auth.password}`).toString('base64')
  const response = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
}

export interface AppSetup {
  env: Record<string, string>
  database: string
  app: { name: string, password: string }
}

/**
 * A database and an app user of the test's own on a shared server (double or COUCHDB_TEST_URL),
 * and the environment that bootstraps them; the user's name goes into `users` for cleanup.
 */
export function appSetup (couch: TestCouch, prefix: string, users: string[]): AppSetup {
  const database = couch.uniqueDatabaseName(prefix)
  const app = { name: `app-${randomBytes(4).toString('hex')}`, password: 'app-' + randomBytes(8).toString('hex') }
  users.push(app.name)
  const env = {
    COUCHDB_URL: couch.url,
    COUCHDB_USERNAME: couch.username,
    COUCHDB_PASSWORD: couch.password,
    OVERMIND_DATABASE: database,
    COUCHDB_APP_USERNAME: app.name,
    COUCHDB_APP_PASSWORD: app.password,
    OVERMIND_BOOTSTRAP_TIMEOUT_MS: '5000'
  }
  return { env, database, app }
}

/** Deletes the `_users` documents of the named users (as the admin); ones already gone are fine. */
export async function deleteUsers (couch: TestCouch, names: readonly string[]): Promise<void> {
  const admin = { name: couch.username, password: couch.password }
  for (const name of names) {
    const path = `/_users/${encodeURIComponent('org.couchdb.user:' + name)}`
    const doc = await couchRequest(couch.url, 'GET', path, admin)
    if (doc.status === 200) await couchRequest(couch.url, 'DELETE', `${path}?rev=${doc.body._rev as string}`, admin)
  }
}

/** A step's context on `database` of `couch` as the admin, its log collected in `logs`; `client` may wrap the real one. */
export function stepContextOn (couch: TestCouch, database: string, logs: string[], client: CouchClient = createCouchClient(couch.url, 10_000)): StepContext {
  return {
    settings: { url: couch.url, username: couch.username, password: couch.password, database, nodes: 1, waitTimeoutMs: 5000, requestTimeoutMs: 10_000 },
    couch: client,
    dryRun: false,
    server: async () => await readServerInfo(client),
    auth: 'admin',
    sleep: async (ms) => { await new Promise((resolve) => setTimeout(resolve, ms)) },
    random: Math.random,
    log: (message) => { logs.push(message) }
  }
}
