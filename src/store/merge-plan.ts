// How a losing branch of a conflicted zergling is folded into the winner, as pure data. The
// merged history is the winner's followed by the loser's commands after the point where it
// forked (fork-point.ts) that the merge does not hold yet, write by write (branch-segments.ts),
// so the merged state is the winner's state moved by those commands: the state stays what
// replaying the merged history gives, and every write's commands are in it once.
import { move } from '../domain/command.js'
import type { Command } from '../domain/zergling.js'
import { segmentsAfter, withoutHeldRequests, type Segment } from './branch-segments.js'
import { keepNewest } from './idempotency.js'
import { lifeStart } from './lost-answer.js'
import { markedTokens, parseWriteMark, writeIdentity, type Piece } from './write-marks.js'
import { historyLength, type ZerglingRecord } from './zergling-document.js'

/** How many tokens of absorbed branches a document keeps: those of their writes after the fork. */
export const ABSORBED_KEPT = 128

export interface MergeBase {
  /** The merged document so far. */
  record: Omit<ZerglingRecord, 'rev'>
  /** The revision it will be written on (the winner's). */
  winnerRev: string
  /** Revisions of the losing leaves folded in so far. */
  absorbedLeaves: string[]
  /** Marks of the winner's line older than its own, read from its older revisions (fork-point.ts): held too. */
  olderMarks: string[]
  /** The commands appended so far, by the write each came from: the merge's mark lists them. */
  pieces: Piece[]
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
    olderMarks: [],
    pieces: [],
    changed: tombstones.length > 0
  }
}

/** Every token whose write the merged document holds: on its line, taken in by its merges, absorbed. */
function heldTokens (base: MergeBase): Set<string> {
  const { line, pieces } = markedTokens([...base.olderMarks, ...base.record.recentWrites])
  return new Set([...line, ...pieces, ...base.record.absorbed, ...base.pieces.map((piece) => piece.token)])
}

/**
 * The loser's newest write that the merged document already holds — on the winner's own line
 * (they forked after it), or taken in by a merge — with the history length the loser recorded
 * for it: its commands up to there are in the merge already.
 */
export function sharedMark (base: MergeBase, loser: Pick<ZerglingRecord, 'recentWrites'>): { token: string, length?: number } | undefined {
  const held = heldTokens(base)
  for (let i = loser.recentWrites.length - 1; i >= 0; i--) {
    const mark = parseWriteMark(loser.recentWrites[i]!)
    if (held.has(mark.token)) return mark
  }
  return undefined
}

/** The segments of `loser` after `fork` that the merge does not hold yet: its commands to append. */
export function segmentsToTake (base: MergeBase, loser: ZerglingRecord, fork: number): Segment[] {
  const held = new Set([...heldTokens(base)].map(writeIdentity))
  const keys = new Set(base.record.idempotency.map((entry) => entry.key))
  return segmentsAfter(loser, fork, historyLength(loser))
    .filter((segment) => !held.has(writeIdentity(segment.token)))
    .flatMap((segment) => withoutHeldRequests(segment, loser.idempotency, keys))
}

/**
 * Folds in `loser`, which forked at `fork`: the segments to take (segmentsToTake) appended once —
 * `tail` holds the loser's commands from where the first of them starts — idempotency records
 * united by key (a key used on the losing side still replays), and the tokens of its writes
 * after the fork recorded as absorbed, never as marks of the merged line, whose lengths they
 * would misstate (those up to the fork are held already: recorded, they would only push out
 * the ones that count).
 */
export function absorb (base: MergeBase, loser: ZerglingRecord, fork: number, taken: readonly Segment[], tail: readonly Command[]): MergeBase {
  const { record } = base
  const start = taken[0]?.at ?? 0
  const commands = taken.flatMap((segment) => tail.slice(segment.at - start, segment.at - start + segment.to - segment.from))
  const known = heldTokens(base)
  const { line, pieces } = markedTokens(loser.recentWrites.filter((mark) => (parseWriteMark(mark).length ?? Infinity) > fork))
  const tokens = [...loser.absorbed, ...pieces, ...line, ...taken.map((segment) => segment.token)].filter((token) => !known.has(token))
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
    olderMarks: base.olderMarks,
    pieces: [...base.pieces, ...taken.map(({ token, from, to }) => ({ token, from, to }))],
    changed: base.changed || commands.length > 0 || tokens.length > 0 || records.length > 0
  }
}
