// Which write each command of a losing branch after its fork point came from, read from the
// branch's marks (write-marks.ts): a command batch's own commands run from the previous mark to
// its own; a merge's commands are the pieces its mark lists, ending at its length. A merge then
// appends the segments whose write the winner does not hold yet, and of those only the requests
// whose Idempotency-Key it does not hold yet — so a write's commands are appended once, whether
// the loser holds them itself or through merges of its own, and however many merges took them.
// Commands that no kept mark accounts for (more writes since the fork than the marks keep) make
// one segment named after the branch and where it starts: two merges of that branch name it alike.
import { createHash } from 'node:crypto'
import { parseWriteMark, type Piece } from './write-marks.js'
import type { IdempotencyRecord, ZerglingRecord } from './zergling-document.js'

/** A piece of the loser's history, and where it starts on the loser's line (`at`). */
export interface Segment extends Piece { at: number }

/** The segments of `loser`'s history from `fork` to `length`, oldest first, with no gaps. */
export function segmentsAfter (loser: Pick<ZerglingRecord, 'recentWrites' | 'rev'>, fork: number, length: number): Segment[] {
  const segments: Segment[] = []
  let covered = fork
  // Where the line stood before the mark at hand, when the mark before it is still kept.
  let before: number | undefined
  const take = (token: string, from: number, to: number, at: number): void => {
    const skip = Math.max(0, covered - at)
    if (to - from > skip) segments.push({ token, from: from + skip, to, at: at + skip })
    covered = Math.max(covered, at + to - from)
  }
  const untracked = (to: number): void => { take(untrackedToken(loser.rev, covered), covered, to, covered) }
  for (const mark of loser.recentWrites.map(parseWriteMark)) {
    const end = mark.length
    if (end === undefined || end > length) {
      before = undefined
      continue
    }
    if (end > covered) {
      const merged = mark.pieces.reduce((sum, piece) => sum + piece.to - piece.from, 0)
      const start = mark.pieces.length > 0 ? end - merged : before
      if (start === undefined || start > end) {
        untracked(end)
      } else {
        if (before === undefined) untracked(start)
        else if (start > before) take(mark.token, before, start, before)
        if (mark.pieces.length === 0) take(mark.token, start, end, start)
        let at = start
        for (const piece of mark.pieces) {
          take(piece.token, piece.from, piece.to, at)
          at += piece.to - piece.from
        }
      }
    }
    before = end
  }
  if (length > covered) untracked(length)
  return segments
}

/**
 * `segment` without the requests of its write whose Idempotency-Key is in `heldKeys`: a request
 * retried on another replica while its first attempt landed on a branch after all. `records`
 * are the loser's, which say which write applied each key and where.
 */
export function withoutHeldRequests (segment: Segment, records: readonly IdempotencyRecord[], heldKeys: ReadonlySet<string>): Segment[] {
  const holes = records
    .filter((record) => record.write === segment.token && record.count !== undefined && heldKeys.has(record.key))
    .map((record) => ({ from: record.historyLength - record.count!, to: record.historyLength }))
    .filter((hole) => hole.from >= segment.from && hole.to <= segment.to && hole.to > hole.from)
    .sort((a, b) => a.from - b.from)
  const parts: Segment[] = []
  let from = segment.from
  for (const hole of holes) {
    if (hole.from < from) continue
    if (hole.from > from) parts.push({ token: segment.token, from, to: hole.from, at: segment.at + from - segment.from })
    from = hole.to
  }
  if (segment.to > from) parts.push({ token: segment.token, from, to: segment.to, at: segment.at + from - segment.from })
  return parts
}

function untrackedToken (rev: string, from: number): string {
  return `~${createHash('sha256').update(`${rev}@${from}`).digest('base64url').slice(0, 12)}`
}
