// Where a losing branch forked from what a merge already holds, as a history length: its
// commands after that point are the ones to append. Three ways, best first:
// 1. a write both sides recorded (`recentWrites` marks carry the history length after them);
// 2. the common ancestor revision from both leaves' `_revisions`, whose body CouchDB keeps until
//    compaction (https://docs.couchdb.org/en/stable/replication/conflicts.html);
// 3. the longest common prefix of the two histories. Honest limit: commands that both sides
//    happened to send identically right after the fork then count as shared and are kept once
//    instead of twice. It is only used when the branches share no recent write and the ancestor
//    was compacted away, and a merge that used it says so (`onMerge`).
import type { DocumentBackend } from './document-backend.js'
import { readHistory } from './history-reader.js'
import { sharedMark, type MergeBase } from './merge-plan.js'
import { parseWriteMark } from './write-marks.js'
import { ancestry } from './revisions.js'
import { fromDocument, historyLength, isZerglingDocument, type ZerglingRecord } from './zergling-document.js'

export type ForkSource = 'token' | 'ancestor' | 'prefix'

/** Each revision's path (`revs=true`), read at most once per merge. */
export type PathReader = (rev: string) => Promise<string[]>

export function pathReader (backend: DocumentBackend, id: string): PathReader {
  const paths = new Map<string, Promise<string[]>>()
  return async (rev) => {
    let path = paths.get(rev)
    if (path === undefined) {
      path = backend.getDocument(id, { rev, revs: true }).then(ancestry)
      paths.set(rev, path)
    }
    return await path
  }
}

export async function findFork (backend: DocumentBackend, base: MergeBase, loser: ZerglingRecord, paths: PathReader): Promise<{ length: number, via: ForkSource }> {
  const mark = sharedMark(base, loser)
  if (mark?.length !== undefined) return { length: mark.length, via: 'token' }
  const held = new Set((await Promise.all([base.winnerRev, ...base.absorbedLeaves].map(paths))).flat())
  const common = (await paths(loser.rev)).find((rev) => held.has(rev))
  if (common !== undefined) {
    const ancestor = await backend.getDocument(loser.state.id, { rev: common }).catch(() => undefined)
    if (isZerglingDocument(ancestor)) return { length: Math.min(historyLength(fromDocument(ancestor)), historyLength(loser)), via: 'ancestor' }
  }
  const [ours, theirs] = await Promise.all([
    readHistory(backend, { ...base.record, rev: base.winnerRev }, 0, historyLength(base.record)),
    readHistory(backend, loser, 0, historyLength(loser))
  ])
  let length = 0
  while (length < ours.length && length < theirs.length && ours[length] === theirs[length]) length++
  return { length, via: 'prefix' }
}

/** How many older revisions of a line marksBackTo reads at most (16 marks each). */
const OLDER_READS = 8

/**
 * The marks of the line ending at `rev` (its own are `marks`), reaching back to `fork`: when
 * they begin after the fork (more writes on the line since than a document keeps marks of),
 * those of its older revisions are put in front — CouchDB keeps their bodies until compaction,
 * on the copies that took those writes — so that what the line wrote or took in since the fork
 * can still be told apart (branch-segments.ts). Never used to find the fork itself: an old
 * write both sides hold says less than their newest common revision.
 */
export async function marksBackTo (backend: DocumentBackend, id: string, rev: string, marks: readonly string[], fork: number, paths: PathReader): Promise<string[]> {
  let reached = [...marks]
  const reaches = (): boolean => reached.some((mark) => (parseWriteMark(mark).length ?? Infinity) <= fork)
  for (let read = 0; read < OLDER_READS && !reaches(); read++) {
    // One mark per revision on the line: the revision before the oldest marked one.
    const older = (await paths(rev))[reached.length]
    if (older === undefined) break
    const body = await backend.getDocument(id, { rev: older }).catch(() => undefined)
    if (!isZerglingDocument(body)) break
    const kept = new Set(reached.map((mark) => parseWriteMark(mark).token))
    const earlier = fromDocument(body).recentWrites.filter((mark) => !kept.has(parseWriteMark(mark).token))
    if (earlier.length === 0) break
    reached = [...earlier, ...reached]
  }
  return reached
}
