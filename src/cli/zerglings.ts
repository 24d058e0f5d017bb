// `overmind zerglings <verb>`: steer zerglings from a terminal, against --url / OVERMIND_URL.
// Results go to stdout (a table, or the API's JSON with --json); everything else to stderr.
// Exit codes: 0 done, 1 the service answered an error (its reason printed), 2 bad usage,
// 3 the service cannot be reached (or did not answer within --timeout).
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../config.js'
import { readTokenFile } from '../token-file.js'
import { createApiClient } from './client/api-client.js'
import { CliFailure, EXIT, usageError } from './client/failure.js'
import { stdoutOutput } from './client/output.js'
import { get, history, list } from './zerglings/read-verbs.js'
import type { Options, Values, Verb } from './zerglings/verb.js'
import { watch } from './zerglings/watch.js'
import { move, remove, spawn } from './zerglings/write-verbs.js'

const VERBS: Record<string, Verb> = { list, spawn, get, move, delete: remove, history, watch }

const COMMON: Options = {
  url: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
}

const COMMON_HELP = `common options:
  --url URL           the service (default OVERMIND_URL, else http://localhost:8080)
  --json              print the API's JSON instead of a table (one document per line)
  --timeout SECONDS   give up after this long, retries included (default 30)
  -h, --help          this text

exit codes: 0 done, 1 the service answered an error (its reason is printed),
2 bad usage, 3 the service cannot be reached or did not answer within --timeout.
A request the service answers 503 or 429 is retried after its Retry-After, within --timeout;
spawn and move send an Idempotency-Key, the same on every retry, so each applies once.`

function usage (): string {
  const lines = Object.entries(VERBS).map(([name, verb]) => `  ${name.padEnd(8)} ${verb.summary}`)
  return ['usage: overmind zerglings <verb> [arguments] [options]', '', 'verbs:', ...lines, '',
    'An ID may be the start of an id (3f2a), when only one zergling\'s id starts that way.',
    'overmind zerglings <verb> --help for its arguments and options.', '', COMMON_HELP].join('\n')
}

function verbUsage (name: string, verb: Verb): string {
  return [`usage: overmind zerglings ${name} ${verb.synopsis}`.trimEnd(), '', verb.summary + '.', verb.help, '', COMMON_HELP].join('\n')
}

export async function cli (args: string[]): Promise<number> {
  const [name, ...rest] = args
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(usage() + '\n')
    return name === undefined ? EXIT.usage : 0
  }
  const verb = VERBS[name]
  if (verb === undefined) {
    process.stderr.write(`overmind zerglings: unknown verb ${JSON.stringify(name)}\n\n${usage()}\n`)
    return EXIT.usage
  }
  try {
    const { values, positionals } = parseVerbArgs(verb, rest)
    if (values.help === true) {
      process.stdout.write(verbUsage(name, verb) + '\n')
      return 0
    }
    const timeoutMs = seconds(values.timeout)
    const { url: baseUrl, token } = clientSettings(values.url)
    const notice = (line: string): void => { process.stderr.write(`overmind zerglings ${name}: ${line}\n`) }
    const context = {
      client: () => createApiClient({ baseUrl, timeoutMs, notice, token }),
      out: stdoutOutput(values.json === true),
      notice,
      timeoutMs,
      baseUrl
    }
    await verb.run(context, values, positionals)
    return 0
  } catch (error) {
    if (!(error instanceof CliFailure)) throw error
    process.stderr.write(`overmind zerglings ${name}: ${error.message}\n`)
    if (error.exitCode === EXIT.usage && !error.message.includes('prefix')) process.stderr.write(`\n${verbUsage(name, verb)}\n`)
    return error.exitCode
  }
}

function parseVerbArgs (verb: Verb, args: string[]): { values: Values, positionals: string[] } {
  let parsed
  try {
    parsed = parseArgs({ args, options: { ...COMMON, ...verb.options }, allowPositionals: true, strict: true })
  } catch (error) {
    throw usageError((error as Error).message)
  }
  const values = parsed.values as Values
  if (values.help === true) return { values, positionals: parsed.positionals }
  const [least, most] = verb.arity
  if (parsed.positionals.length < least) throw usageError(`missing argument${least - parsed.positionals.length > 1 ? 's' : ''}: ${verb.synopsis.split(' [')[0]}`)
  if (parsed.positionals.length > most) throw usageError(`unexpected argument ${JSON.stringify(parsed.positionals[most])}`)
  return { values, positionals: parsed.positionals }
}

function seconds (given: string | boolean | undefined): number {
  if (given === undefined) return 30_000
  const value = typeof given === 'string' && /^\d+(\.\d+)?$/.test(given) ? Number(given) : Number.NaN
  if (!(value > 0 && value <= 86_400)) throw usageError(`--timeout takes seconds (more than 0, at most 86400), not ${JSON.stringify(given)}.`)
  return value * 1000
}

/** --url wins over OVERMIND_URL (read, like every variable, through config.ts). */
/** The service's URL, and the write token when OVERMIND_API_TOKEN_FILE names one (as the service reads it). */
function clientSettings (given: string | boolean | undefined): { url: string, token?: string } {
  try {
    const config = loadConfig(undefined, typeof given === 'string' ? { clientUrl: given } : {})
    const tokenFile = config.access.apiTokenFile
    return { url: config.client.url, ...(tokenFile === undefined ? {} : { token: readTokenFile(tokenFile, 'OVERMIND_API_TOKEN_FILE').token }) }
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(typeof given === 'string' ? error.message.replace('OVERMIND_URL', '--url') : error.message)
    throw error
  }
}
