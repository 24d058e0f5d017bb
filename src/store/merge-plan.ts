// How a losing branch of a conflicted zergling is folded into the winner, as pure data. The
// merged history is the winner's followed by each loser's commands after the point where it
// forked (fork-point.ts), so the merged state is the winner's state moved by those commands:
// the state stays what replaying the merged history gives.
import { move } from '../domain/command.js'
import type { Command } from '../domain/zergling.js'
import { keepNewest } from './idempotency.js'
import { lifeStart, parseWriteMark } from './lost-answer.js'
import type { ZerglingRecord } from './zergling-document.js'

/** How many tokens of absorbed branches a document keeps (16 marks from each of 4 branches). */
export const ABSORBED_KEPT = 64

export interface MergeBase {
  /** The merged document so far. */
  record: Omit<ZerglingRecord, 'rev'>
  /** The revision it will be written on (the winner's). */
  winnerRev: string
  /** Revisions of the losing leaves folded in so far. */
  absorbedLeaves: string[]
  /** Whether anything was folded in that the stored winner does not hold yet. */
  changed: boolean
}

/** `tombstones`: merge tombstones found unremembered, to be remembered by the merge's write. */
export function startMerge (winner: ZerglingRecord, tombstones: readonly string[] = []): MergeBase {
  const { rev, ...record } = winner
  const born = lifeStart(winner)
  return {
    record: { ...record, mergeTombstones: [...record.mergeTombstones, ...tombstones], ...(born === undefined ? {} : { born }) },
    winnerRev: rev,
    absorbedLeaves: [],
    changed: tombstones.length > 0
  }
}

/**
 * The loser's newest write that the merged document already holds — on the winner's own line
 * (they forked after it) or absorbed from a branch merged before — with the history length the
 * loser recorded for it: its commands up to there are in the merge already.
 */
export function sharedMark (base: MergeBase, loser: Pick<ZerglingRecord, 'recentWrites'>): { token: string, length?: number } | undefined {
  const held = new Set([...base.record.recentWrites.map((mark) => parseWriteMark(mark).token), ...base.record.absorbed])
  for (let i = loser.recentWrites.length - 1; i >= 0; i--) {
    const mark = parseWriteMark(loser.recentWrites[i]!)
    if (held.has(mark.token)) return mark
  }
  return undefined
}

/**
 * Folds in `loser`, whose commands after the fork are `commands`: appended once, idempotency
 * records united by key (a key used on the losing side still replays), and its tokens recorded
 * as absorbed — never as marks of the merged line, whose lengths they would misstate.
 */
export function absorb (base: MergeBase, loser: ZerglingRecord, commands: readonly Command[]): MergeBase {
  const { record } = base
  const lineage = new Set(record.recentWrites.map((mark) => parseWriteMark(mark).token))
  const known = new Set([...lineage, ...record.absorbed])
  const tokens = [...loser.absorbed, ...loser.recentWrites.map((mark) => parseWriteMark(mark).token)].filter((token) => !known.has(token))
  const keys = new Set(record.idempotency.map((entry) => entry.key))
  const records = loser.idempotency.filter((entry) => !keys.has(entry.key))
  return {
    record: {
      ...record,
      state: move(record.state, commands),
      recentCommands: record.recentCommands + commands.join(''),
      idempotency: keepNewest([...record.idempotency, ...records]),
      absorbed: [...record.absorbed, ...new Set(tokens)].slice(-ABSORBED_KEPT)
    },
    winnerRev: base.winnerRev,
    absorbedLeaves: [...base.absorbedLeaves, loser.rev],
    changed: base.changed || commands.length > 0 || tokens.length > 0 || records.length > 0
  }
}
