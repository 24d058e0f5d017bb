// Commands that can be told apart in a history, and the accounting that says, per command,
// whether it was lost, applied twice or applied although its client was told it failed.
//
// A history is one letter per command, so single letters cannot be told apart. A "tagged"
// command instead spells its own number in base 3 with a fixed count of letters (L=0, R=1, M=2);
// the service applies a request's letters in order as one change, so each tagged command is a
// contiguous block in the history wherever concurrency put it, and the history reads back as
// the list of command numbers that were applied.
import { applyCommands, spawnZergling, type Command, type Zergling } from '../../../src/domain/index.js'
import { send } from './client.js'

const DIGITS: readonly Command[] = ['L', 'R', 'M']

export const TAG_LETTERS = 7
/** 3^7 numbers per zergling. */
export const MAX_TAG = 3 ** TAG_LETTERS

export function tagFor (n: number, letters = TAG_LETTERS): string {
  if (!Number.isInteger(n) || n < 0 || n >= 3 ** letters) throw new RangeError(`tag ${n} does not fit in ${letters} letters`)
  let text = ''
  for (let rest = n, i = 0; i < letters; i++, rest = Math.floor(rest / 3)) text = DIGITS[rest % 3] + text
  return text
}

/** The command numbers a history spells, in order; throws when it is not whole blocks. */
export function readTags (history: readonly string[], letters = TAG_LETTERS): number[] {
  if (history.length % letters !== 0) throw new Error(`a history of ${history.length} letters is not made of ${letters}-letter commands: a command was split or partly applied`)
  const tags: number[] = []
  for (let at = 0; at < history.length; at += letters) {
    let n = 0
    for (const letter of history.slice(at, at + letters)) {
      const digit = DIGITS.indexOf(letter as Command)
      if (digit < 0) throw new Error(`the history holds ${JSON.stringify(letter)}, which is not a command`)
      n = n * 3 + digit
    }
    tags.push(n)
  }
  return tags
}

export type Outcome = 'acknowledged' | 'failed'

export interface Verdict {
  lost: number[]
  appliedTwice: number[]
  appliedDespiteError: number[]
  /** Numbers in the history that no client sent. */
  strangers: number[]
}

/** Compares what clients were told (per command number) with what the history holds. */
export function judge (outcomes: ReadonlyMap<number, Outcome>, appliedTags: readonly number[]): Verdict {
  const counts = new Map<number, number>()
  for (const tag of appliedTags) counts.set(tag, (counts.get(tag) ?? 0) + 1)
  const verdict: Verdict = { lost: [], appliedTwice: [], appliedDespiteError: [], strangers: [] }
  for (const [tag, outcome] of outcomes) {
    const count = counts.get(tag) ?? 0
    if (outcome === 'acknowledged' && count === 0) verdict.lost.push(tag)
    if (outcome === 'failed' && count > 0) verdict.appliedDespiteError.push(tag)
    if (count > 1) verdict.appliedTwice.push(tag)
  }
  for (const tag of counts.keys()) if (!outcomes.has(tag)) verdict.strangers.push(tag)
  return verdict
}

/** Where a history leads from spawn: what the stored location and facing must be. */
export function replay (history: readonly string[]): Pick<Zergling, 'location' | 'facing'> {
  const { location, facing } = applyCommands(spawnZergling('replay'), history as Command[])
  return { location, facing }
}

export interface StoredState {
  location: { x: number, y: number }
  facing: string
  history: string[]
}

/**
 * The zergling's state and whole history. `GET /zerglings/:id/history` pages are used when the
 * service has them (history kept out of the main document); until then, and when the route is
 * not there, `commandHistory` from `GET /zerglings/:id?history=all`.
 */
export async function readZergling (baseUrl: string, id: string): Promise<StoredState> {
  const paged = await readHistoryPages(baseUrl, id)
  const main = await send(`${baseUrl}/zerglings/${id}?history=${paged === undefined ? 'all' : 'none'}`)
  if (main.status !== 200) throw new Error(`reading zergling ${id} answered ${main.status}`)
  const { zergling } = main.json()
  const history = paged ?? zergling.commandHistory
  if (!Array.isArray(history)) throw new Error(`zergling ${id} came without a history`)
  return { location: zergling.location, facing: zergling.facing, history }
}

async function readHistoryPages (baseUrl: string, id: string): Promise<string[] | undefined> {
  const history: string[] = []
  let cursor: string | undefined
  // Bounded: 3^7 commands of 7 letters fit in far fewer pages than this.
  for (let page = 0; page < 10_000; page++) {
    const query = `?limit=1000${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const answer = await send(`${baseUrl}/zerglings/${id}/history${query}`)
    if (page === 0 && (answer.status === 404 || answer.status === 405)) return undefined
    if (answer.status !== 200) throw new Error(`GET /zerglings/${id}/history answered ${answer.status}`)
    const body = answer.json()
    const entries = historyEntries(body)
    if (entries === undefined) throw new Error(`GET /zerglings/${id}/history answered an unknown shape: ${answer.body.slice(0, 200)}`)
    history.push(...entries)
    if (typeof body.total === 'number' && body.total < history.length) throw new Error(`GET /zerglings/${id}/history paged past its total`)
    cursor = typeof body.next === 'string' ? body.next : undefined
    if (cursor === undefined) return history
  }
  throw new Error(`GET /zerglings/${id}/history never ended`)
}

/** The letters of one history page, whichever reasonable shape it has. */
function historyEntries (body: any): string[] | undefined {
  const list = [body?.history, body?.commandHistory, body?.commands, body?.entries, body?.items].find(Array.isArray)
  if (list === undefined) return undefined
  return (list as unknown[]).flatMap((entry) => {
    if (typeof entry === 'string') return [...entry]
    const command = (entry as { command?: unknown, commands?: unknown } | null)?.command ?? (entry as { commands?: unknown } | null)?.commands
    return typeof command === 'string' ? [...command] : ['?']
  })
}
