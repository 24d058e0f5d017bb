// After the copy: every document of the source's changes feed is in the target at the same
// winning revision (deleted where the source's is deleted), and every zergling stands where it
// stands in the source, faces the same way and has the same history length. What is compared is
// the documents themselves, read back from both ends, not what replication said it wrote.
import { isZerglingId } from '../domain/zergling-id.js'
import { fromDocument, historyLength, isZerglingDocument } from '../store/zergling-document.js'
import type { Pouch } from '../transfer/endpoints.js'

export interface Verification {
  zerglings: number
  deletedZerglings: number
  historyChunks: number
  /** Commands in all the zerglings' histories. */
  commands: number
  /** Sentences, one per document that differs (at most MAX_REPORTED). */
  mismatches: string[]
  mismatchCount: number
}

const PAGE = 500
const MAX_REPORTED = 20

type Row = { id?: string, key: string, value?: { rev: string, deleted?: boolean }, doc?: Record<string, unknown> | null, error?: string }

export async function verifyCopy (source: Pouch, target: Pouch): Promise<Verification> {
  const found: Verification = { zerglings: 0, deletedZerglings: 0, historyChunks: 0, commands: 0, mismatches: [], mismatchCount: 0 }
  const differs = (sentence: string): void => {
    found.mismatchCount++
    if (found.mismatches.length < MAX_REPORTED) found.mismatches.push(sentence)
  }
  let since: number | string = 0
  for (;;) {
    const page: PouchDB.Core.ChangesResponse<Record<string, unknown>> = await source.changes({ since, limit: PAGE })
    const changes = page.results.filter((change) => !change.id.startsWith('_design/'))
    if (changes.length > 0) {
      const keys = changes.map((change) => change.id)
      const [mine, theirs] = await Promise.all([
        source.allDocs({ keys, include_docs: true }),
        target.allDocs({ keys, include_docs: true })
      ])
      const targetRows = new Map((theirs.rows as Row[]).map((row) => [row.key, row]))
      for (const row of mine.rows as Row[]) compareDocument(row, targetRows.get(row.key), found, differs)
    }
    if (page.results.length < PAGE) return found
    since = page.last_seq
  }
}

function compareDocument (mine: Row, theirs: Row | undefined, found: Verification, differs: (sentence: string) => void): void {
  const id = mine.key
  const deleted = mine.value?.deleted === true
  if (theirs?.value === undefined) { differs(`${id} is missing in the target`); return }
  if (theirs.value.rev !== mine.value?.rev) { differs(`${id} is at revision ${theirs.value.rev} in the target, ${mine.value?.rev ?? '?'} in the source`); return }
  if ((theirs.value.deleted === true) !== deleted) { differs(`${id} is ${deleted ? 'deleted' : 'live'} in the source but not in the target`); return }
  if (deleted) {
    if (isZerglingId(id)) found.deletedZerglings++
    return
  }
  if (id.startsWith('history:')) found.historyChunks++
  if (!isZerglingDocument(mine.doc)) return
  found.zerglings++
  const source = fromDocument(mine.doc)
  if (!isZerglingDocument(theirs.doc)) { differs(`${id} is no zergling in the target`); return }
  const target = fromDocument(theirs.doc)
  const length = historyLength(source)
  found.commands += length
  const same = source.state.location.x === target.state.location.x && source.state.location.y === target.state.location.y &&
    source.state.facing === target.state.facing && length === historyLength(target)
  if (!same) differs(`${id} stands at (${target.state.location.x},${target.state.location.y}) facing ${target.state.facing} with ${historyLength(target)} commands in the target, (${source.state.location.x},${source.state.location.y}) ${source.state.facing} with ${length} in the source`)
}
