// Reading the service's lists as a client: every page of `GET /zerglings/` in id order, and a
// short id prefix resolved against it, as the API answers them (README, "API").
import { isZerglingId } from '../../domain/zergling-id.js'
import type { ApiClient } from './api-client.js'
import { CliFailure, EXIT, usageError } from './failure.js'

export interface Summary { id: string, location: { x: number, y: number }, facing: string }
export interface Detail extends Summary { commandHistory?: string[], historyLength: number, _rev: string }

const PAGE = 1000

/** Each zergling of the list, page by page (`next` passed back as `cursor`), at most `limit`. */
export async function * listZerglings (client: ApiClient, limit = Number.POSITIVE_INFINITY): AsyncGenerator<Summary> {
  let cursor: string | undefined
  let given = 0
  do {
    const size = Math.min(PAGE, limit - given)
    const query = `limit=${size}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const page = (await client.send({ method: 'GET', path: `/zerglings/?${query}` })).body as { zerglings: Summary[], next?: string }
    for (const zergling of page.zerglings) {
      yield zergling
      if (++given >= limit) return
    }
    cursor = page.next
  } while (cursor !== undefined)
}

const PREFIX = /^[0-9a-f-]{1,36}$/

/**
 * The full id for `given`: itself when it is a whole id, else the one zergling whose id starts
 * with it. The list is in id order, so the walk stops at the first id past the prefix.
 */
export async function resolveId (client: ApiClient, given: string): Promise<string> {
  const prefix = given.toLowerCase()
  if (isZerglingId(prefix)) return prefix
  if (!PREFIX.test(prefix)) throw usageError(`${JSON.stringify(given)} is not a zergling id nor the start of one (hex digits and dashes).`)
  const matches: string[] = []
  for await (const { id } of listZerglings(client)) {
    if (id.startsWith(prefix)) matches.push(id)
    else if (id > prefix) break
    if (matches.length > 3) break
  }
  if (matches.length === 0) throw new CliFailure(EXIT.answeredError, `No zergling's id starts with ${JSON.stringify(prefix)}.`)
  if (matches.length > 1) {
    const shown = matches.slice(0, 3).join(', ') + (matches.length > 3 ? ', …' : '')
    throw usageError(`The id prefix ${JSON.stringify(prefix)} is ambiguous: it matches ${shown}. Give more of the id.`)
  }
  return matches[0]!
}
