// What each verb of `overmind zerglings` declares: its help, its own options and arguments, and
// what it does with a client and an output. The dispatcher (../zerglings.ts) does the rest.
import type { ParseArgsConfig } from 'node:util'
import type { ApiClient } from '../client/api-client.js'
import { usageError } from '../client/failure.js'
import type { Output } from '../client/output.js'

export type Options = NonNullable<ParseArgsConfig['options']>
export type Values = Record<string, string | boolean | undefined>

export interface VerbContext {
  /** A client whose --timeout budget starts now (watch makes one per poll or reconnect). */
  client: () => ApiClient
  out: Output
  /** One line on stderr: progress, retries, how watch follows. Never a result. */
  notice: (line: string) => void
  /** The --timeout, in milliseconds. */
  timeoutMs: number
  baseUrl: string
}

export interface Verb {
  summary: string
  /** The arguments after the verb, as the usage line shows them. */
  synopsis: string
  /** Help text after the usage line: what it prints, its own options. */
  help: string
  options: Options
  /** How many positional arguments: [at least, at most] (at most Infinity: the rest joins). */
  arity: [number, number]
  run: (context: VerbContext, values: Values, args: string[]) => Promise<void>
}

export const HISTORY_OPTION = { history: { type: 'string' } } satisfies Options

/** `?history=` for --history all|none|N, checked before anything is sent. */
export function historyQuery (values: Values): string {
  const history = values.history
  if (history === undefined) return ''
  if (typeof history !== 'string' || !/^(all|none|[0-9]{1,6})$/.test(history)) {
    throw usageError(`--history takes all, none or a number of commands, not ${JSON.stringify(history)}.`)
  }
  return `?history=${history}`
}

/** A whole number within bounds from an option, or a usage error naming it. */
export function wholeOption (values: Values, name: string, min: number, max: number, fallback: number): number {
  const given = values[name]
  if (given === undefined) return fallback
  const number = typeof given === 'string' && /^\d+$/.test(given) ? Number(given) : Number.NaN
  if (!(number >= min && number <= max)) throw usageError(`--${name} takes a whole number from ${min} to ${max}, not ${JSON.stringify(given)}.`)
  return number
}

/** Runs `task` on each item, `width` at a time, answers in the items' order. */
export async function inOrder<T, R> (items: readonly T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker))
  return results
}
