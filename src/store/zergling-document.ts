// The documents both stores write. A zergling is one small main document; its history lives in
// immutable chunk documents of HISTORY_CHUNK_SIZE commands (history-chunks.ts) plus a tail of
// one to two chunks' worth in the main document (history-archive.ts, chunksToCut), so a command
// rewrites at most a few kilobytes whatever the history's length.
//
//   main:  {_id: <uuid>, location: {x, y}, facing, archivedChunks: k, recentCommands: "LMM…",
//           idempotency: [...], recentWrites: ["<token>:<history length>", …],
//           absorbed: ["<token>", …], mergeTombstones: ["<rev>", …], born: <generation>}
//   chunk: {_id: "history:<uuid>:00000003:<rev cut from>", zergling: <uuid>, index: 3, commands: "MMLR…"}
//
// `recentWrites` holds the marks of the last writes on this document's own line of revisions
// (write-marks.ts: the lost-answer protocol, where two branches of a conflict forked, and which
// write each merged command came from); `absorbed` the tokens of losing branches merged into
// it, so that none is merged twice; an idempotency record names the write that applied it. A
// losing branch's tombstone carries `mergedInto: <rev>` and is listed in `mergeTombstones`, so
// that it is never taken for a user's delete (deleted-branches.ts); `born` is the generation
// this life of the id began at, older tombstones belong to an earlier life.
// Chunk ids sort after every UUID in `_all_docs` ('h' > 'f'), so listing never walks them.
// Documents written by the original service (`commandHistory: [...]`, no chunks) still read, as
// do plain tokens without a length and chunk ids without `:<rev>`.
import { isZerglingId } from '../domain/zergling-id.js'
import type { Command, Facing, ZerglingState } from '../domain/zergling.js'

export const HISTORY_CHUNK_SIZE = 1000

/** What is remembered of a request made with an Idempotency-Key (both values are hashes). */
export interface IdempotencyRecord {
  key: string
  commands: string
  /** The history's length right after the request, and the state it left. */
  historyLength: number
  location: { x: number, y: number }
  facing: Facing
  /** The revision generation of the write that applied it (`N` of `N-hash`). */
  generation: number
  /** The token of the write that applied it, and how many commands it had: where a merge finds them (branch-segments.ts). */
  write?: string
  count?: number
}

export interface ZerglingDocument {
  _id: string
  _rev?: string
  location: { x: number, y: number }
  facing: Facing
  /** Commands after the archived chunks, oldest first, one letter each. */
  recentCommands: string
  /** How many chunks of HISTORY_CHUNK_SIZE commands precede `recentCommands`. */
  archivedChunks: number
  idempotency?: IdempotencyRecord[]
  /** `token:length` of the last few writes (lost-answer.ts); old documents have plain tokens. */
  recentWrites?: string[]
  /** Tokens of the losing branches merged into this document. */
  absorbed?: string[]
  /** The tombstones this store wrote on merged branches: deleted leaves that are no user's delete. */
  mergeTombstones?: string[]
  /** The generation of this life's first revision (a keyed id respawned after a delete starts later). */
  born?: number
}

/** A main document as the store works with it. */
export interface ZerglingRecord {
  state: ZerglingState
  rev: string
  recentCommands: string
  archivedChunks: number
  idempotency: IdempotencyRecord[]
  recentWrites: string[]
  absorbed: string[]
  mergeTombstones: string[]
  born?: number
}

export function historyLength (record: Pick<ZerglingRecord, 'recentCommands' | 'archivedChunks'>): number {
  return record.archivedChunks * HISTORY_CHUNK_SIZE + record.recentCommands.length
}

export function toDocument (record: Omit<ZerglingRecord, 'rev'>, rev?: string): ZerglingDocument {
  const { state } = record
  const doc: ZerglingDocument = {
    _id: state.id,
    location: { x: state.location.x, y: state.location.y },
    facing: state.facing,
    recentCommands: record.recentCommands,
    archivedChunks: record.archivedChunks
  }
  if (record.idempotency.length > 0) doc.idempotency = record.idempotency
  if (record.recentWrites.length > 0) doc.recentWrites = record.recentWrites
  if (record.absorbed.length > 0) doc.absorbed = record.absorbed
  if (record.mergeTombstones.length > 0) doc.mergeTombstones = record.mergeTombstones
  if (record.born !== undefined) doc.born = record.born
  if (rev !== undefined) doc._rev = rev
  return doc
}

const FACINGS: ReadonlySet<unknown> = new Set(['N', 'E', 'S', 'W'])
const COMMANDS = /^[LRM]*$/

/** Is this stored document a zergling (and not a design doc, a chunk or anything else)? */
export function isZerglingDocument (doc: unknown): doc is Record<string, unknown> & { _id: string, _rev: string } {
  if (typeof doc !== 'object' || doc === null) return false
  const candidate = doc as Record<string, unknown>
  const location = candidate.location as Record<string, unknown> | null | undefined
  const { commandHistory, recentCommands, archivedChunks } = candidate
  const legacyHistory = commandHistory === undefined || (Array.isArray(commandHistory) && commandHistory.every((c) => c === 'L' || c === 'R' || c === 'M'))
  return typeof candidate._id === 'string' && isZerglingId(candidate._id) &&
    typeof candidate._rev === 'string' &&
    typeof location === 'object' && location !== null &&
    Number.isFinite(location.x) && Number.isFinite(location.y) &&
    FACINGS.has(candidate.facing) &&
    (recentCommands === undefined || (typeof recentCommands === 'string' && COMMANDS.test(recentCommands))) &&
    (archivedChunks === undefined || (Number.isSafeInteger(archivedChunks) && (archivedChunks as number) >= 0)) &&
    legacyHistory
}

export function fromDocument (doc: Record<string, unknown> & { _id: string, _rev: string }): ZerglingRecord {
  const location = doc.location as { x: number, y: number }
  // The original service kept the whole history in `commandHistory`: read it as the tail.
  const legacy = Array.isArray(doc.commandHistory) ? (doc.commandHistory as Command[]).join('') : ''
  return {
    state: { id: doc._id, location: { x: location.x, y: location.y }, facing: doc.facing as Facing },
    rev: doc._rev,
    recentCommands: typeof doc.recentCommands === 'string' ? doc.recentCommands : legacy,
    archivedChunks: typeof doc.archivedChunks === 'number' ? doc.archivedChunks : 0,
    idempotency: Array.isArray(doc.idempotency) ? doc.idempotency as IdempotencyRecord[] : [],
    recentWrites: strings(doc.recentWrites),
    absorbed: strings(doc.absorbed),
    mergeTombstones: strings(doc.mergeTombstones),
    ...(Number.isSafeInteger(doc.born) ? { born: doc.born as number } : {})
  }
}

function strings (value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}
