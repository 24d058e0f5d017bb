// Changes seen by comparing two lists, for a service without a change stream: a zergling that
// appeared (spawned), went (deleted), or stands elsewhere or faces another way (moved). Commands
// that bring it back to where it stood are invisible this way; the stream sees every write.
import type { Summary } from './zergling-pages.js'

export type Snapshot = ReadonlyMap<string, Summary>

export interface PolledChange { type: 'spawned' | 'moved' | 'deleted', zergling: Summary }

export function snapshotOf (zerglings: Iterable<Summary>): Snapshot {
  return new Map([...zerglings].map((zergling) => [zergling.id, zergling]))
}

export function changesBetween (before: Snapshot, after: Snapshot): PolledChange[] {
  const changes: PolledChange[] = []
  for (const [id, now] of after) {
    const then = before.get(id)
    if (then === undefined) changes.push({ type: 'spawned', zergling: now })
    else if (then.facing !== now.facing || then.location.x !== now.location.x || then.location.y !== now.location.y) changes.push({ type: 'moved', zergling: now })
  }
  for (const [id, then] of before) if (!after.has(id)) changes.push({ type: 'deleted', zergling: then })
  return changes
}
