// The verbs that only read: list, get, history.
import { CliFailure } from '../client/failure.js'
import { detailRow, formatHistory, formatTable, type Row } from '../client/output.js'
import { listZerglings, resolveId, type Detail, type Summary } from '../client/zergling-pages.js'
import { HISTORY_OPTION, historyQuery, inOrder, wholeOption, type Verb, type VerbContext } from './verb.js'

/** The list carries no history length: the table reads each zergling (history=none), 8 at a time. */
const DETAIL_READS_AT_ONCE = 8

async function readDetail (context: VerbContext, id: string, query: string): Promise<{ zergling: Detail }> {
  return (await context.client().send({ method: 'GET', path: `/zerglings/${id}${query}` })).body as { zergling: Detail }
}

export const list: Verb = {
  summary: 'list the zerglings in id order (all pages, or --limit N)',
  synopsis: '[--limit N]',
  help: `Prints a table: id, x, y, facing, history length. With --json, each zergling as the list
API gives it ({"id","location","facing"}), one per line.

options:
  --limit N   at most N zerglings (default: all of them, page by page)`,
  options: { limit: { type: 'string' } },
  arity: [0, 0],
  async run (context, values) {
    const limit = wholeOption(values, 'limit', 1, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY)
    const client = context.client()
    const zerglings: Summary[] = []
    for await (const zergling of listZerglings(client, limit)) {
      if (context.out.json) context.out.line(JSON.stringify(zergling))
      else zerglings.push(zergling)
    }
    if (context.out.json) return
    const rows = await inOrder(zerglings, DETAIL_READS_AT_ONCE, async (summary): Promise<Row | undefined> => {
      // Deleted since it was listed: left out, as if the list had come a moment later.
      const answer = await readDetail(context, summary.id, '?history=none').catch((error: unknown) => {
        if (error instanceof CliFailure && error.answer?.status === 404) return undefined
        throw error
      })
      return answer === undefined ? undefined : detailRow(answer.zergling)
    })
    for (const line of formatTable(rows.filter((row) => row !== undefined))) context.out.line(line)
  }
}

export const get: Verb = {
  summary: 'show one zergling: its state, history length and history',
  synopsis: 'ID [--history all|none|N]',
  help: `ID may be the start of an id, when only one zergling's id starts that way.
Prints its row and its history (by default as the API answers: all of it up to 1000 commands,
else the newest 1000). With --json, the API's answer ({"zergling":{…}}).

options:
  --history all|none|N   how much of the history to show`,
  options: HISTORY_OPTION,
  arity: [1, 1],
  async run (context, values, [given]) {
    const query = historyQuery(values)
    const answer = await readDetail(context, await resolveId(context.client(), given!), query)
    if (context.out.json) {
      context.out.line(JSON.stringify(answer))
      return
    }
    printDetail(context, answer.zergling)
  }
}

export function printDetail (context: VerbContext, zergling: Detail): void {
  for (const line of formatTable([detailRow(zergling)])) context.out.line(line)
  const shown = zergling.commandHistory
  if (shown === undefined) return
  const label = shown.length < zergling.historyLength ? `history (the newest ${shown.length} of ${zergling.historyLength}; all: overmind zerglings history ${zergling.id})` : 'history'
  context.out.line(`${label}: ${formatHistory(shown)}`)
}

const HISTORY_PAGE = 10_000

export const history: Verb = {
  summary: 'print a zergling\'s whole command history, oldest first',
  synopsis: 'ID',
  help: `Reads the history page by page and prints it as one line of letters. With --json,
{"history":[…],"total":N} as the history API's pages joined.`,
  options: {},
  arity: [1, 1],
  async run (context, _values, [given]) {
    const client = context.client()
    const id = await resolveId(client, given!)
    const commands: string[] = []
    let cursor: string | undefined
    let total = 0
    do {
      const query = `?limit=${HISTORY_PAGE}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
      const page = (await client.send({ method: 'GET', path: `/zerglings/${id}/history${query}` })).body as { history: string[], total: number, next?: string }
      commands.push(...page.history)
      total = page.total
      cursor = page.next
    } while (cursor !== undefined)
    context.out.line(context.out.json ? JSON.stringify({ history: commands, total }) : formatHistory(commands))
  }
}
