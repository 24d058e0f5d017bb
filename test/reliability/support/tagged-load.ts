// A steady load of tagged commands: one sequential client per zergling, alternating replicas,
// each command sent once (no retries) so that what its client was told can be checked against
// the history. Answers are kept with the time they were sent and answered.
import { describeAnswer, send, type Answer } from './client.js'
import { readTags, readZergling, replay, judge, tagFor, MAX_TAG, type Outcome, type Verdict } from './commands.js'
import { ledger } from './ledger.js'
import { sleep } from './load.js'

export interface Sent { zergling: string, tag: number, sentAt: number, answeredAt: number, answer: Answer }

export interface TaggedLoad {
  sent: Sent[]
  /** Stops sending and waits for the last answers. */
  stop: () => Promise<void>
}

export function startTaggedLoad (baseUrls: readonly string[], zerglings: readonly string[], options: { pauseMs?: number, timeoutMs?: number, headers?: (zergling: string, tag: number) => Record<string, string> } = {}): TaggedLoad {
  const sent: Sent[] = []
  const state = { running: true }
  const workers = zerglings.map(async (zergling, z) => {
    for (let tag = 0; state.running && tag < MAX_TAG; tag++) {
      const baseUrl = baseUrls[(z + tag) % baseUrls.length]!
      const sentAt = Date.now()
      const answer = await send(`${baseUrl}/zerglings/${zergling}`, { body: JSON.stringify(tagFor(tag)), timeoutMs: options.timeoutMs ?? 20_000, headers: options.headers?.(zergling, tag) })
      sent.push({ zergling, tag, sentAt, answeredAt: Date.now(), answer })
      await sleep(options.pauseMs ?? 15)
    }
  })
  return {
    sent,
    stop: async () => {
      state.running = false
      await Promise.all(workers)
    }
  }
}

/** Reads every zergling's history, checks it replays to the stored state, and judges each command. */
export async function judgeLoad (baseUrl: string, sent: readonly Sent[]): Promise<Verdict & { replayMismatches: string[], details: string[] }> {
  const total: Verdict & { replayMismatches: string[], details: string[] } = { lost: [], appliedTwice: [], appliedDespiteError: [], strangers: [], replayMismatches: [], details: [] }
  for (const zergling of new Set(sent.map((s) => s.zergling))) {
    const outcomes = new Map<number, Outcome>()
    // A command sent more than once (a retry with its key) counts as acknowledged if any answer was 2xx.
    for (const s of sent.filter((s) => s.zergling === zergling)) {
      if (outcomes.get(s.tag) !== 'acknowledged') outcomes.set(s.tag, s.answer.status >= 200 && s.answer.status < 300 ? 'acknowledged' : 'failed')
    }
    const state = await readZergling(baseUrl, zergling)
    const verdict = judge(outcomes, readTags(state.history))
    const replayed = replay(state.history)
    if (JSON.stringify(replayed) !== JSON.stringify({ location: state.location, facing: state.facing })) total.replayMismatches.push(zergling)
    total.lost.push(...verdict.lost)
    total.appliedTwice.push(...verdict.appliedTwice)
    total.appliedDespiteError.push(...verdict.appliedDespiteError)
    for (const tag of verdict.appliedDespiteError) {
      const answers = sent.filter((s) => s.zergling === zergling && s.tag === tag).map((s) => `${describeAnswer(s.answer)} after ${s.answer.ms} ms: ${s.answer.body.slice(0, 160)}`)
      total.details.push(`command ${tag} on ${zergling} is stored, but was answered ${answers.join('; then ')}`)
    }
    total.strangers.push(...verdict.strangers)
  }
  ledger.add({ lost: total.lost.length, appliedTwice: total.appliedTwice.length + total.strangers.length, appliedDespiteError: total.appliedDespiteError.length })
  return total
}
