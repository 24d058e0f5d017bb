// Documents bootstrap writes (the app user, the design documents) can end up *conflicted* on a
// cluster. Each of a shard's n copies accepts the first write of a new document it sees; racing
// creates through different nodes can each win a copy, and a write that fewer than w copies
// accepted is still answered 202 Accepted and stays (fabric_doc_update:force_reply). Internal
// replication then joins the revisions: the document has two live leaves, and a conflicted
// `_users` document authenticates nobody. So every document is read with `conflicts=true`, and a
// conflicted one is settled: one leaf that is right is kept (CouchDB's winner when it is right),
// every other leaf is deleted by its revision, and the document is read again until none is left.
// Racing runs keep the same leaf, as they order leaves as CouchDB does.
// https://docs.couchdb.org/en/stable/replication/conflicts.html
// https://github.com/apache/couchdb/blob/3.4.3/src/fabric/src/fabric_doc_update.erl (force_reply)
// https://github.com/apache/couchdb/blob/3.4.3/src/fabric/src/fabric_doc_open.erl (read_repair)
import { describeResponse } from './couch-client.js'
import { adminCredentials } from './session.js'
import { BootstrapError } from './bootstrap-error.js'
import { type StepContext } from './types.js'

export type StoredDocument = Record<string, unknown> & { _id: string, _rev: string, _conflicts?: string[] }

/** Where a document is and what to call it in messages (`user "overmind"`, `_design/overmind`). */
export interface DocumentAt { path: string, what: string }

const ROUNDS = 5

export const conflictsOf = (doc: StoredDocument | undefined): string[] => Array.isArray(doc?._conflicts) ? doc._conflicts : []

/** The body to write back: the read-only `_conflicts` member left out. */
export function contentOf (doc: StoredDocument): Record<string, unknown> {
  const { _conflicts: _ignored, ...content } = doc
  return content
}

/**
 * The document with its live conflicts, or undefined when missing (or deleted). `everyCopy` first
 * reads it from every copy (`r` is capped at the database's n): copies that disagree make CouchDB
 * repair the document before answering, so that a conflict this run's 202 write made shows at once
 * instead of whenever internal replication gets to it.
 */
export async function readDocument (context: StepContext, at: DocumentAt, options: { everyCopy?: boolean } = {}): Promise<StoredDocument | undefined> {
  if (options.everyCopy === true) await read(context, at, `r=${Math.max(3, context.settings.nodes)}`)
  return await read(context, at, 'conflicts=true')
}

async function read (context: StepContext, at: DocumentAt, query: string): Promise<StoredDocument | undefined> {
  const response = await context.couch.request('GET', `${at.path}?${query}`, { auth: adminCredentials(context) })
  // 404 also when the database itself is missing (a dry run before `database`).
  if (response.status === 404) return undefined
  if (response.status !== 200) throw new BootstrapError(`Reading ${at.what} failed (${describeResponse(response)}).`)
  return response.body as StoredDocument
}

/** CouchDB's order of live leaves, the winner first: higher generation, then the larger hash. */
export function compareRevisions (a: string, b: string): number {
  const generation = (rev: string): number => parseInt(rev, 10)
  const hash = (rev: string): string => rev.slice(rev.indexOf('-') + 1)
  return generation(b) - generation(a) || (hash(b) > hash(a) ? 1 : hash(b) < hash(a) ? -1 : 0)
}

export interface Settled {
  /** The document left, without conflicts (undefined when it is gone). */
  doc: StoredDocument | undefined
  /** Leaves this run deleted (a racing run may have deleted others). */
  removed: number
}

/**
 * Deletes every live leaf of `doc` but one: the first right one in CouchDB's order, else the
 * winner (the caller then writes the right content on it). Re-reads until no conflict is left.
 */
export async function settleConflicts (context: StepContext, at: DocumentAt, doc: StoredDocument | undefined, isRight: (leaf: StoredDocument) => Promise<boolean>): Promise<Settled> {
  let removed = 0
  for (let round = 1; round <= ROUNDS; round++) {
    if (doc === undefined || conflictsOf(doc).length === 0) return { doc, removed }
    const leaves = await liveLeaves(context, at, doc)
    let kept = leaves[0]!
    for (const leaf of leaves) {
      if (await isRight(leaf)) { kept = leaf; break }
    }
    for (const leaf of leaves) if (leaf._rev !== kept._rev && await deleteLeaf(context, at, leaf._rev)) removed++
    doc = await readDocument(context, at)
  }
  throw new BootstrapError(`${at.what} still had conflicting revisions after ${ROUNDS} rounds of removing them; something else keeps writing it, run bootstrap again.`)
}

/** The winner and each conflicting leaf, in CouchDB's order. */
async function liveLeaves (context: StepContext, at: DocumentAt, winner: StoredDocument): Promise<StoredDocument[]> {
  const leaves = [contentOf(winner) as StoredDocument]
  for (const rev of conflictsOf(winner)) {
    const response = await context.couch.request('GET', `${at.path}?rev=${encodeURIComponent(rev)}`, { auth: adminCredentials(context) })
    if (response.status === 404) continue
    if (response.status !== 200) throw new BootstrapError(`Reading revision ${rev} of ${at.what} failed (${describeResponse(response)}).`)
    const leaf = response.body as StoredDocument
    if (leaf._deleted !== true) leaves.push(leaf)
  }
  return leaves.sort((a, b) => compareRevisions(a._rev, b._rev))
}

/** True when this call deleted it; false when a racing run did (409: no longer a live leaf). */
async function deleteLeaf (context: StepContext, at: DocumentAt, rev: string): Promise<boolean> {
  const response = await context.couch.request('DELETE', `${at.path}?rev=${encodeURIComponent(rev)}`, { auth: adminCredentials(context) })
  if (response.status === 200 || response.status === 202) return true
  if (response.status === 409 || response.status === 404) return false
  throw new BootstrapError(`Deleting the conflicting revision ${rev} of ${at.what} failed (${describeResponse(response)}).`)
}

export interface Wanted {
  /** Whether a stored document is what bootstrap wants (the step is done). */
  done: (doc: StoredDocument) => Promise<boolean>
  /** Which conflicting leaf may be kept; checked locally, never by logging in (a conflicted user cannot). */
  keep: (leaf: StoredDocument) => Promise<boolean>
  /** What to write over `current` (undefined: create). */
  body: (current: StoredDocument | undefined) => Record<string, unknown>
}

export interface Ensured {
  /** What this run wrote, if anything. */
  wrote?: 'created' | 'updated'
  removed: number
}

/**
 * Settle, compare, write, repeat. A 409 means another bootstrap wrote meanwhile; a 202 means this
 * write may have made a conflict, so the next read asks every copy. Bounded.
 */
export async function ensureDocument (context: StepContext, at: DocumentAt, wanted: Wanted): Promise<Ensured> {
  const result: Ensured = { removed: 0 }
  let everyCopy = false
  for (let attempt = 1; ; attempt++) {
    const settled = await settleConflicts(context, at, await readDocument(context, at, { everyCopy }), wanted.keep)
    result.removed += settled.removed
    const current = settled.doc
    if (current !== undefined && await wanted.done(current)) return result
    if (attempt > ROUNDS) throw new BootstrapError(`${at.what} kept changing under this bootstrap (${ROUNDS} attempts lost the race).`)
    const response = await context.couch.request('PUT', at.path, { auth: adminCredentials(context), body: wanted.body(current) })
    if (response.status !== 201 && response.status !== 202 && response.status !== 409) {
      throw new BootstrapError(`Writing ${at.what} failed (${describeResponse(response)}).`)
    }
    if (response.status !== 409) result.wrote ??= current === undefined ? 'created' : 'updated'
    everyCopy = response.status === 202
  }
}

export function revisions (count: number): string {
  return count === 1 ? '1 conflicting revision' : `${count} conflicting revisions`
}
