// Where a losing branch forked from what a merge already holds, as a history length: its
// commands after that point are the ones to append. Three ways, best first:
// 1. a write both sides recorded (`recentWrites` marks carry the history length after them),
//    in the loser's own marks or, past them, in those of its older revisions;
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

/** How many older revisions of a loser findFork reads at most for marks (16 each). */
const OLDER_READS = 8

/**
 * Where `loser` forked from the merge, how that was found, and the loser's marks back to there:
 * when its own marks share no write with the merge (more writes on its line since than a
 * document keeps marks of), those of its older revisions are put in front — CouchDB keeps their
 * bodies until compaction, on the copies that took those writes — so that a merge or a write on
 * its line long ago still tells what it holds (branch-segments.ts).
 */
export async function findFork (backend: DocumentBackend, base: MergeBase, loser: ZerglingRecord, paths: PathReader): Promise<{ length: number, via: ForkSource, marks: string[] }> {
  let marks = loser.recentWrites
  for (let read = 0; ; read++) {
    const mark = sharedMark(base, { recentWrites: marks })
    if (mark?.length !== undefined) return { length: mark.length, via: 'token', marks }
    const earlier = read === OLDER_READS ? [] : await olderMarks(backend, loser, marks, paths)
    if (earlier.length === 0) break
    marks = [...earlier, ...marks]
  }
  const held = new Set((await Promise.all([base.winnerRev, ...base.absorbedLeaves].map(paths))).flat())
  const common = (await paths(loser.rev)).find((rev) => held.has(rev))
  if (common !== undefined) {
    const ancestor = await backend.getDocument(loser.state.id, { rev: common }).catch(() => undefined)
    if (isZerglingDocument(ancestor)) return { length: Math.min(historyLength(fromDocument(ancestor)), historyLength(loser)), via: 'ancestor', marks }
  }
  const [ours, theirs] = await Promise.all([
    readHistory(backend, { ...base.record, rev: base.winnerRev }, 0, historyLength(base.record)),
    readHistory(backend, loser, 0, historyLength(loser))
  ])
  let length = 0
  while (length < ours.length && length < theirs.length && ours[length] === theirs[length]) length++
  return { length, via: 'prefix', marks }
}

/** The marks of the loser's line older than `marks` (one per revision), from the body of the revision before them; none once compacted. */
async function olderMarks (backend: DocumentBackend, loser: ZerglingRecord, marks: readonly string[], paths: PathReader): Promise<string[]> {
  const older = (await paths(loser.rev))[marks.length]
  if (older === undefined) return []
  const body = await backend.getDocument(loser.state.id, { rev: older }).catch(() => undefined)
  if (!isZerglingDocument(body)) return []
  const kept = new Set(marks.map((mark) => parseWriteMark(mark).token))
  return fromDocument(body).recentWrites.filter((mark) => !kept.has(parseWriteMark(mark).token))
}
