// CouchDB revisions as the store reads them: `N-hash`, where N (the generation) counts the
// writes on the document's path from its first revision, and `_revisions` (asked for with
// `revs=true`) lists the path's hashes newest first.
// https://docs.couchdb.org/en/stable/api/document/common.html#getting-a-list-of-revisions

/** `N` of a revision `N-hash`. */
export function revisionGeneration (rev: string): number {
  return Number.parseInt(rev, 10)
}

/** `N-hash` for generation N from a document read with `revs=true`. */
export function revisionFrom (doc: unknown, generation: number): string {
  const { _rev: rev, _revisions: revisions } = doc as { _rev?: string, _revisions?: { start: number, ids: string[] } }
  const hash = revisions?.ids[revisions.start - generation]
  // CouchDB keeps the last `_revs_limit` (1000) revision ids; older ones fall back to the latest.
  return hash === undefined ? rev ?? '' : `${generation}-${hash}`
}

/** The revisions on a document's path, newest first (`revs=true`); empty without `_revisions`. */
export function ancestry (doc: unknown): string[] {
  const revisions = (doc as { _revisions?: { start: number, ids: string[] } } | undefined)?._revisions
  return revisions === undefined ? [] : revisions.ids.map((hash, i) => `${revisions.start - i}-${hash}`)
}

/** The losing live leaves CouchDB listed (`conflicts=true`), oldest generation first. */
export function conflictsOf (doc: unknown): string[] {
  return revisionList((doc as { _conflicts?: unknown } | undefined)?._conflicts)
}

/** The deleted leaves CouchDB listed (`deleted_conflicts=true`), oldest generation first. */
export function deletedConflictsOf (doc: unknown): string[] {
  return revisionList((doc as { _deleted_conflicts?: unknown } | undefined)?._deleted_conflicts)
}

function revisionList (revs: unknown): string[] {
  if (!Array.isArray(revs)) return []
  return revs.filter((rev): rev is string => typeof rev === 'string')
    .sort((a, b) => revisionGeneration(a) - revisionGeneration(b) || (a < b ? -1 : a > b ? 1 : 0))
}
