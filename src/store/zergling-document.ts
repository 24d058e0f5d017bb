// The one document shape both stores write, the original Go service's:
// `{_id, _rev, location: {x, y}, facing, commandHistory: [...]}`, one history entry per command.
// Reading is lenient where the original was (it omitted `commandHistory` until the first
// command) and strict about what counts as a zergling, so design docs and strangers never leak.
import { isZerglingId } from '../domain/zergling-id.js'
import type { Command, Facing, Zergling } from '../domain/zergling.js'
import type { StoredZergling } from './zergling-store.js'

export interface ZerglingDocument {
  _id: string
  _rev?: string
  location: { x: number, y: number }
  facing: Facing
  commandHistory: Command[]
}

const FACINGS: ReadonlySet<unknown> = new Set(['N', 'E', 'S', 'W'])
const COMMANDS: ReadonlySet<unknown> = new Set(['L', 'R', 'M'])

export function toDocument (zergling: Zergling, rev?: string): ZerglingDocument {
  const doc: ZerglingDocument = {
    _id: zergling.id,
    location: { x: zergling.location.x, y: zergling.location.y },
    facing: zergling.facing,
    commandHistory: [...zergling.commandHistory]
  }
  if (rev !== undefined) doc._rev = rev
  return doc
}

/** Is this stored document a zergling (and not a design doc, a `_local` doc or anything else)? */
export function isZerglingDocument (doc: unknown): doc is ZerglingDocument & { _rev: string } {
  if (typeof doc !== 'object' || doc === null) return false
  const candidate = doc as Record<string, unknown>
  const location = candidate.location as Record<string, unknown> | null | undefined
  const history = candidate.commandHistory
  return typeof candidate._id === 'string' && isZerglingId(candidate._id) &&
    typeof candidate._rev === 'string' &&
    typeof location === 'object' && location !== null &&
    Number.isFinite(location.x) && Number.isFinite(location.y) &&
    FACINGS.has(candidate.facing) &&
    (history === undefined || (Array.isArray(history) && history.every((c) => COMMANDS.has(c))))
}

export function fromDocument (doc: ZerglingDocument & { _rev: string }): StoredZergling {
  return {
    id: doc._id,
    location: { x: doc.location.x, y: doc.location.y },
    facing: doc.facing,
    commandHistory: doc.commandHistory ?? [],
    rev: doc._rev
  }
}
