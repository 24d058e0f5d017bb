// Where a losing branch forked from what a merge already holds, as a history length: its
// commands after that point are the ones to append (branch-segments.ts). Two ways, the later
// point wins; the prefix only when neither is known:
// 1. a write both sides hold (`recentWrites` marks carry the history length after them), found
//    in the loser's own marks: the merge holds every write of the loser's line up to it;
// 2. the newest common revision of both leaves' `_revisions`, whose body CouchDB keeps until
//    compaction (https://docs.couchdb.org/en/stable/replication/conflicts.html);
// 3. the longest common prefix of the two histories. Honest limit: commands that both sides
//    happened to send identically right after the fork then count as shared and are kept once
//    instead of twice. It is only used when the branches share no recent write and the ancestor
//    was compacted away, and a merge that used it says so (`onMerge`).
// The fork also says how far back the winner's marks must reach (marksBackTo): over every
// revision of its line after the common one, as the loser's merges may have taken any of those
// writes in — a fork found by a token can lie far later on the loser's line than that.
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

/** How far back a line's marks must reach: to a mark at `length` or before, and over its `revisions` newest revisions. */
export interface Reach { length: number, revisions?: number }

export interface Fork {
  /** The loser's history length at the fork: its commands after it are the ones to consider. */
  length: number
  via: ForkSource
  /** How far back the winner's marks must reach for what the loser took in since to be told held. */
  winner: Reach
}

export async function findFork (backend: DocumentBackend, base: MergeBase, loser: ZerglingRecord, paths: PathReader): Promise<Fork> {
  const [ours, theirs, ...absorbed] = await Promise.all([base.winnerRev, loser.rev, ...base.absorbedLeaves].map(paths))
  const onLoser = new Set(theirs)
  const since = ours!.findIndex((rev) => onLoser.has(rev))
  const reach = (length: number): Reach => since === -1 ? { length } : { length, revisions: since }
  const token = sharedMark(base, loser)?.length
  const ancestor = await ancestorLength(backend, loser, theirs!, new Set([...ours!, ...absorbed.flat()]))
  if (token !== undefined && token >= (ancestor ?? 0)) return { length: token, via: 'token', winner: reach(token) }
  if (ancestor !== undefined) return { length: ancestor, via: 'ancestor', winner: reach(ancestor) }
  const [mine, yours] = await Promise.all([
    readHistory(backend, { ...base.record, rev: base.winnerRev }, 0, historyLength(base.record)),
    readHistory(backend, loser, 0, historyLength(loser))
  ])
  let length = 0
  while (length < mine.length && length < yours.length && mine[length] === yours[length]) length++
  return { length, via: 'prefix', winner: reach(length) }
}

/** The history length of the newest revision on the loser's path that the merge holds; undefined once compacted. */
async function ancestorLength (backend: DocumentBackend, loser: ZerglingRecord, path: readonly string[], held: ReadonlySet<string>): Promise<number | undefined> {
  const common = path.find((rev) => held.has(rev))
  if (common === undefined) return undefined
  const body = await backend.getDocument(loser.state.id, { rev: common }).catch(() => undefined)
  return isZerglingDocument(body) ? Math.min(historyLength(fromDocument(body)), historyLength(loser)) : undefined
}

/** How many older revisions of a line marksBackTo reads at most (each body holds the marks kept then). */
const OLDER_READS = 8

/**
 * The marks of the line ending at `rev` (its own are `marks`), reaching back as far as `reach`
 * says: when they begin later (more writes on the line since than a document keeps marks of),
 * those of its older revisions are put in front — CouchDB keeps their bodies until compaction,
 * on the copies that took those writes — so that what the line wrote or took in since the fork
 * can still be told apart (branch-segments.ts). Never used to find the fork itself: an old
 * write both sides hold says less than their newest common revision.
 */
export async function marksBackTo (backend: DocumentBackend, id: string, rev: string, marks: readonly string[], reach: Reach, paths: PathReader): Promise<string[]> {
  let reached = [...marks]
  const reaches = (): boolean => reached.length >= (reach.revisions ?? 0) && reached.some((mark) => (parseWriteMark(mark).length ?? Infinity) <= reach.length)
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
