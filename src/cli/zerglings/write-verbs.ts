// The verbs that change zerglings: spawn, move, delete. Spawns and moves carry an
// Idempotency-Key, so a retry after a 503 or a lost answer applies them once.
import { detailRow, formatTable } from '../client/output.js'
import { resolveId, type Detail, type Summary } from '../client/zergling-pages.js'
import { printDetail } from './read-verbs.js'
import { HISTORY_OPTION, historyQuery, inOrder, wholeOption, type Verb } from './verb.js'

const SPAWNS_AT_ONCE = 8

export const spawn: Verb = {
  summary: 'spawn zerglings at (0,0) facing N',
  synopsis: '[--count N]',
  help: `Prints the new zerglings' rows. With --json, each answer ({"zergling":{…}}), one per line.

options:
  --count N   how many (1–1000, default 1)`,
  options: { count: { type: 'string' } },
  arity: [0, 0],
  async run (context, values) {
    const count = wholeOption(values, 'count', 1, 1000, 1)
    const client = context.client()
    const answers = await inOrder(Array.from({ length: count }), SPAWNS_AT_ONCE, async () =>
      (await client.send({ method: 'POST', path: '/zerglings/', keyed: true })).body as { zergling: Summary })
    if (context.out.json) {
      for (const answer of answers) context.out.line(JSON.stringify(answer))
      return
    }
    for (const line of formatTable(answers.map(({ zergling }) => ({ ...zergling, historyLength: 0 })))) context.out.line(line)
  }
}

export const move: Verb = {
  summary: 'give a zergling commands: L turns left, R right, M moves one step',
  synopsis: 'ID COMMANDS [--history all|none|N]',
  help: `COMMANDS is letters as typed, no quoting: overmind zerglings move 3f2a LMLMM (several
arguments join: L M M is LMM). They apply in order, as one change. Prints the new state and
history; with --json, the API's answer ({"zergling":{…}}).

options:
  --history all|none|N   how much of the history the answer carries`,
  options: HISTORY_OPTION,
  arity: [2, Number.POSITIVE_INFINITY],
  async run (context, values, [given, ...letters]) {
    const query = historyQuery(values)
    const client = context.client()
    const id = await resolveId(client, given!)
    const answer = (await client.send({ method: 'POST', path: `/zerglings/${id}${query}`, body: letters.join(''), keyed: true })).body as { zergling: Detail }
    if (context.out.json) context.out.line(JSON.stringify(answer))
    else printDetail(context, answer.zergling)
  }
}

export const remove: Verb = {
  summary: 'delete a zergling; prints its last state',
  synopsis: 'ID',
  help: 'With --json, the API\'s answer ({"zergling":{…}}).',
  options: {},
  arity: [1, 1],
  async run (context, _values, [given]) {
    const client = context.client()
    const id = await resolveId(client, given!)
    const answer = (await client.send({ method: 'DELETE', path: `/zerglings/${id}?history=none` })).body as { zergling: Detail }
    if (context.out.json) context.out.line(JSON.stringify(answer))
    else for (const line of formatTable([detailRow(answer.zergling)])) context.out.line(line)
  }
}
