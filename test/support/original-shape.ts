// A database of zerglings in the original shape — `location`, `facing` and the whole
// `commandHistory` inline, as the Go service and the first overmind stored them — for the
// migration tests: most with short histories, a few with long ones, some with idempotency records.
// Deterministic, so a failure can be repeated.
import { randomUUID } from 'node:crypto'
import { move } from '../../src/domain/command.js'
import { spawnZergling, type Command } from '../../src/domain/zergling.js'
import type { TestCouch } from './test-couch.js'

/** Where to write: a test's CouchDB, or the bench's. */
export type CouchAccess = Pick<TestCouch, 'url' | 'username' | 'password'>

export interface OriginalShape { zerglings: number, long: number, longCommands: number }

export interface OriginalData {
  /** Every zergling's whole history, by id. */
  histories: Map<string, string>
  /** The idempotency records stored with some of them, by id. */
  idempotency: Map<string, unknown[]>
}

const LETTERS: Command[] = ['L', 'R', 'M']

export function letters (seed: number, length: number): string {
  return Array.from({ length }, (_, i) => LETTERS[(seed * 7 + i * 13 + (i >> 2)) % 3]!).join('')
}

/** The state a history leads to from spawn. */
export function replay (id: string, history: string): { location: { x: number, y: number }, facing: string } {
  const { location, facing } = move(spawnZergling(id), history.split('') as Command[])
  return { location, facing }
}

export function adminHeaders (couch: CouchAccess): Record<string, string> {
  return { authorization: 'Basic ' + Buffer.from(`${couch.username}:${couch.password}`).toString('base64'), 'content-type': 'application/json' }
}

/** Creates `database` on `couch` and fills it; written with `_bulk_docs` in batches of 200. */
export async function seedOriginalShape (couch: CouchAccess, database: string, shape: OriginalShape): Promise<OriginalData> {
  const headers = adminHeaders(couch)
  const created = await fetch(`${couch.url}/${database}`, { method: 'PUT', headers })
  await created.arrayBuffer()
  if (created.status !== 201) throw new Error(`creating ${database} answered ${created.status}`)
  const data: OriginalData = { histories: new Map(), idempotency: new Map() }
  const docs: Array<Record<string, unknown>> = []
  for (let i = 0; i < shape.zerglings; i++) {
    const id = randomUUID()
    const history = letters(i, i < shape.long ? shape.longCommands : i % 40)
    data.histories.set(id, history)
    const { location, facing } = replay(id, history)
    const doc: Record<string, unknown> = { _id: id, location, facing, commandHistory: history.split('') }
    if (i % 10 === 3) {
      const records = [{ key: `k${i}`.padEnd(43, '0'), commands: `c${i}`.padEnd(43, '0'), historyLength: history.length, location, facing, generation: 1 }]
      doc.idempotency = records
      data.idempotency.set(id, records)
    }
    docs.push(doc)
  }
  for (let start = 0; start < docs.length; start += 200) {
    const answer = await fetch(`${couch.url}/${database}/_bulk_docs`, { method: 'POST', headers, body: JSON.stringify({ docs: docs.slice(start, start + 200) }) })
    const rows = await answer.json() as Array<{ ok?: boolean }>
    if (answer.status !== 201 || rows.some((row) => row.ok !== true)) throw new Error(`seeding ${database} answered ${answer.status}`)
  }
  return data
}
