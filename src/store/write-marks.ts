// What every write leaves in the zergling's `recentWrites`: a mark `token:length`, the write's
// random token and the history's length right after it — one per revision on the document's
// own line. The lost-answer protocol finds a write by its token (lost-answer.ts); a merge finds
// where two branches forked by the newest token both hold (fork-point.ts), and which write each
// command after the fork came from, so that no write's commands are appended twice whatever the
// shape of the revision tree (branch-segments.ts):
//
//   a command batch   "<token>:<length>"               its commands are the ones since the previous mark
//   a merge           "<token>:<length>:<piece>,…"     its commands are the pieces, in order, ending at <length>
//   a piece           "<token>+<from>-<to>"            commands <from>..<to> of that write, as counted on its own line
//
// Attempts of one command batch share their token's first part (`<batch>.<attempt>`): when the
// answer to one was lost and it landed on a branch after all, the other's commands are the same
// requests, held once (command-flush.ts). Documents written before marks had lengths hold plain
// tokens.
import { randomBytes } from 'node:crypto'

/**
 * How many write marks a document keeps: the attempts of one batch, and enough of the recent past
 * for two branches of a conflict to still share one (the newest shared one is where they forked),
 * and for a write whose answer came late to be found. Only a leaf's own body can be counted on:
 * CouchDB 3.4 compacts a busy database within seconds (smoosh), so older revisions' bodies are
 * gone. Measured on a 3-node cluster, three replicas on one zergling: a node frozen 5 s while the
 * others went on made 75 revisions before its late answer was looked for; 128 marks (~2.8 KB)
 * keep about 8 s of that rate.
 */
export const WRITE_MARKS_KEPT = 128

/** A part of a history that one write made: its commands `from..to` (end exclusive) on the line it was written on. */
export interface Piece { token: string, from: number, to: number }

export interface WriteMark {
  token: string
  /** The history's length right after the write; undefined in documents from before marks had lengths. */
  length?: number
  /** A merge's commands, oldest first, ending at `length`; empty for every other write. */
  pieces: Piece[]
}

/** Random bytes for 128 tokens at a time: one `randomBytes` per write cost ~20 µs, as much as the rest of a command's bookkeeping. */
const TOKEN_BYTES = 9
let pool = Buffer.alloc(0)
let used = 0

export function writeToken (): string {
  if (used === pool.length) {
    pool = randomBytes(TOKEN_BYTES * 128)
    used = 0
  }
  used += TOKEN_BYTES
  return pool.toString('base64url', used - TOKEN_BYTES, used)
}

/** The token of attempt `attempt` of a batch whose token is `batch`. */
export function attemptToken (batch: string, attempt: number): string {
  return `${batch}.${attempt}`
}

/** What stands for one write whichever attempt of it landed: the batch's token. */
export function writeIdentity (token: string): string {
  const dot = token.indexOf('.')
  return dot === -1 ? token : token.slice(0, dot)
}

/** `marks` with the mark of a write that leaves the history at `length`, the oldest dropped past WRITE_MARKS_KEPT. */
export function withMark (marks: readonly string[], token: string, length: number, pieces: readonly Piece[] = []): string[] {
  const mark = pieces.length === 0 ? `${token}:${length}` : `${token}:${length}:${pieces.map(({ token, from, to }) => `${token}+${from}-${to}`).join(',')}`
  return [...marks, mark].slice(-WRITE_MARKS_KEPT)
}

export function parseWriteMark (mark: string): WriteMark {
  const [token = '', length, pieces] = mark.split(':')
  const parsed = length === undefined || length === '' ? undefined : Number(length)
  return { token, length: Number.isSafeInteger(parsed) && parsed! >= 0 ? parsed : undefined, pieces: pieces === undefined ? [] : parsePieces(pieces) }
}

/** Pieces that do not parse are left out: their commands count as the merge's own (branch-segments.ts). */
function parsePieces (text: string): Piece[] {
  const pieces: Piece[] = []
  for (const piece of text.split(',')) {
    const match = /^([^+]+)\+(\d+)-(\d+)$/.exec(piece)
    if (match === null) return []
    const [from, to] = [Number(match[2]), Number(match[3])]
    if (!Number.isSafeInteger(to) || to < from) return []
    pieces.push({ token: match[1]!, from, to })
  }
  return pieces
}

/** Every token a document's marks name: the writes on its line and the pieces its merges took in. */
export function markedTokens (marks: readonly string[]): { line: string[], pieces: string[] } {
  const parsed = marks.map(parseWriteMark)
  return { line: parsed.map((mark) => mark.token), pieces: parsed.flatMap((mark) => mark.pieces.map((piece) => piece.token)) }
}
