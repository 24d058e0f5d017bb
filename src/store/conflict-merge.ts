// A conflicted zergling is merged, never left for CouchDB to hide. On a cluster a node cut off
// by a partition takes writes of its own (answered 202 when they miss the quorum, and rightly
// treated as stored); so do two replicas writing on one revision through different nodes, each
// shard copy taking the first it sees (fabric_doc_update.erl). CouchDB shows one winner and
// `_conflicts` lists the rest (https://docs.couchdb.org/en/stable/replication/conflicts.html).
// Every losing leaf holds acknowledged commands. The merge: the winner keeps its history, each
// loser (oldest first) adds the commands after its fork point (fork-point.ts) of every write
// that the merge does not hold yet (merge-plan.ts, branch-segments.ts), the result is written
// on the winner's revision (a 409: someone moved it or merged first, the caller re-reads), with
// a mark that lists which writes it took in, then each loser gets a tombstone marked
// `mergedInto`. A crash in between, or two replicas merging at once, cannot append a write
// twice: a second look finds the loser's tokens absorbed and only deletes it, and when both
// merges were stored (two leaves), the merge of the merges finds every piece held. The merge
// only ever adds: its cost is a read of each loser (and of the part of its history to take),
// the merged write, one tombstone per loser and a write that remembers them
// (deleted-branches.ts), paid once, by whichever read meets the conflict.
import type { Command } from '../domain/zergling.js'
import { writeBookkeeping } from './bookkeeping-write.js'
import { rememberTombstones } from './deleted-branches.js'
import type { DocumentBackend } from './document-backend.js'
import { findFork, marksBackTo, pathReader, type ForkSource, type PathReader, type Reach } from './fork-point.js'
import { archiveFullChunks, deleteChunks } from './history-archive.js'
import { readHistory } from './history-reader.js'
import { confirmWrite, isAmbiguous } from './lost-answer.js'
import { absorb, segmentsToTake, startMerge, type MergeBase } from './merge-plan.js'
import { conflictsOf, revisionGeneration } from './revisions.js'
import { isStoreError, StoreError } from './store-error.js'
import { withMark, writeToken } from './write-marks.js'
import { fromDocument, HISTORY_CHUNK_SIZE, historyLength, isZerglingDocument, toDocument, type ZerglingRecord } from './zergling-document.js'

export interface MergeReport {
  id: string
  /** How each losing leaf's fork point was found; `prefix` may have kept a command once that both sides sent. */
  forks: ForkSource[]
  /** False when every loser was already absorbed (an interrupted or racing merge): only deleted. */
  written: boolean
}

export interface MergeHooks {
  onMerge?: (report: MergeReport) => void
}

/**
 * Merges the losing leaves of `doc` (a winner read with `conflicts=true`); the merged record.
 * `tombstones`: merge tombstones the read found unremembered, remembered with the merge.
 */
export async function mergeConflicts (backend: DocumentBackend, doc: Record<string, unknown> & { _id: string, _rev: string }, hooks: MergeHooks = {}, tombstones: readonly string[] = []): Promise<ZerglingRecord> {
  const id = doc._id
  const winner = fromDocument(doc)
  const losers = conflictsOf(doc)
  const paths = pathReader(backend, id)
  let base = startMerge(winner, tombstones)
  const forks: ForkSource[] = []
  const cut: Array<{ loser: ZerglingRecord, fork: number }> = []
  // The losers to delete once the merge is written: each one absorbed, or that is no zergling.
  const done: string[] = []
  for (const rev of losers) {
    try {
      const loser = await backend.getDocument(id, { rev })
      // Anything else on a zergling's id (a stranger's write) holds no commands: it is only deleted.
      if (isZerglingDocument(loser) && loser._deleted !== true) {
        const seen = fromDocument(loser)
        const fork = await findFork(backend, base, seen, paths)
        const leaf = { ...seen, recentWrites: await marksBackTo(backend, id, seen.rev, seen.recentWrites, { length: fork.length }, paths) }
        base = await winnerBackTo(backend, base, fork.winner, paths)
        const taken = segmentsToTake(base, leaf, fork.length)
        const last = taken[taken.length - 1]
        const tail = last === undefined ? [] : await loserCommands(backend, doc, leaf, taken[0]!.at, last.at + last.to - last.from)
        base = absorb(base, leaf, fork.length, taken, tail)
        forks.push(fork.via)
        if (leaf.archivedChunks > Math.floor(fork.length / HISTORY_CHUNK_SIZE)) cut.push({ loser: leaf, fork: fork.length })
      }
    } catch (error) {
      // On a cluster a read of a revision can reach copies that have not seen it yet (404): the
      // leaf is left as it is — never deleted unread — and the next read merges it.
      if (!isStoreError(error, 'not_found')) throw error
      continue
    }
    done.push(rev)
  }
  const merged = base.changed ? await writeMerged(backend, base) : { ...base.record, rev: winner.rev }
  const { rev } = merged
  const ours: string[] = []
  for (const loser of done) {
    // A 409: another merger deleted it first. Any other failure stops here, so that no caller
    // (a remove above all: the loser would become the winner) goes on while a loser stands; the
    // next read finds it absorbed and only deletes it.
    const tombstone = await backend.putDocument({ _id: id, _rev: loser, _deleted: true, mergedInto: rev } as { _id: string })
      .catch((error: unknown) => { if (!isStoreError(error, 'conflict') && !isStoreError(error, 'not_found')) throw error })
    if (tombstone !== undefined) ours.push(tombstone)
  }
  await deleteLoserChunks(backend, id, winner.rev, cut, paths)
  hooks.onMerge?.({ id, forks, written: base.changed })
  const archived = await archiveLongTail(backend, merged)
  // So that no read takes them for a user's delete, or reads them to learn that they are not.
  return ours.length === 0 ? archived : await rememberTombstones(backend, archived, ours)
}

/**
 * A merge can leave a tail of any length (a loser's commands after the fork); a command leaves
 * under two chunks' worth plus its own. Past three, the full chunks but the newest move out now
 * (chunksToCut), cut from the merged revision, so that the next command costs what a command costs.
 */
async function archiveLongTail (backend: DocumentBackend, merged: ZerglingRecord): Promise<ZerglingRecord> {
  if (merged.recentCommands.length < 3 * HISTORY_CHUNK_SIZE) return merged
  const archived = await archiveFullChunks(backend, merged)
  return await writeBookkeeping(backend, merged, { archivedChunks: merged.archivedChunks + archived, recentCommands: merged.recentCommands.slice(archived * HISTORY_CHUNK_SIZE) })
}

/** The loser's commands `from..to`; a chunk gone missing means another merger got there first. */
async function loserCommands (backend: DocumentBackend, winner: { _id: string, _rev: string }, loser: ZerglingRecord, from: number, to: number): Promise<Command[]> {
  try {
    return await readHistory(backend, loser, from, to)
  } catch (error) {
    const now = await backend.getDocument(winner._id, { conflicts: true }).catch(() => undefined) as { _rev?: string } | undefined
    if (now?._rev !== winner._rev || !conflictsOf(now).includes(loser.rev)) throw new StoreError('conflict', 'Another writer merged this zergling first.')
    throw error
  }
}

/** `base`, whose winner's line marks reach as far back as `reach` (marksBackTo), so that what the line wrote since is known held. */
async function winnerBackTo (backend: DocumentBackend, base: MergeBase, reach: Reach, paths: PathReader): Promise<MergeBase> {
  const own = base.record.recentWrites
  const reached = await marksBackTo(backend, base.record.state.id, base.winnerRev, [...base.olderMarks, ...own], reach, paths)
  return { ...base, olderMarks: reached.slice(0, reached.length - own.length) }
}

/** Writes the merge on the winner's revision, with a mark of its own at the merged length that lists what it took in. */
async function writeMerged (backend: DocumentBackend, base: MergeBase): Promise<ZerglingRecord> {
  const token = writeToken()
  const record = { ...base.record, recentWrites: withMark(base.record.recentWrites, token, historyLength(base.record), base.pieces) }
  try {
    return { ...record, rev: await backend.putDocument(toDocument(record, base.winnerRev)) }
  } catch (error) {
    if (!isAmbiguous(error)) throw error
    return { ...record, rev: await confirmWrite(backend, record.state.id, token, revisionGeneration(base.winnerRev) + 1) }
  }
}

/**
 * Best effort: the chunks a loser cut after its fork, from revisions of its own branch. The
 * winner's line never reads them while its `_revisions` reach back far enough, but CouchDB keeps
 * only the last 1000: deleted now, none can be taken for the winner's later.
 */
async function deleteLoserChunks (backend: DocumentBackend, id: string, winnerRev: string, cut: ReadonlyArray<{ loser: ZerglingRecord, fork: number }>, paths: PathReader): Promise<void> {
  for (const { loser, fork } of cut) {
    try {
      const [ours, theirs] = await Promise.all([paths(winnerRev), paths(loser.rev)]).then(([a, b]) => [new Set(a), new Set(b)])
      await deleteChunks(backend, id, ({ cutFrom }) => cutFrom !== undefined && theirs.has(cutFrom) && !ours.has(cutFrom), Math.floor(fork / HISTORY_CHUNK_SIZE))
    } catch {}
  }
}
