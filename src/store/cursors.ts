// The opaque cursors the API hands out, both here with one error (StoreError `invalid_cursor`,
// answered 400 by the one error mapping):
// - a list page's `next`: base64url of the last zergling id on that page. The next page starts
//   at that id (`startkey`) and drops it if it is still there, so a deleted last id neither
//   repeats a row nor skips one (`skip=1` would skip a real row in that case);
// - a history page's `next`: base64url of `h<offset>`, the position the next page starts at.
import { isZerglingId } from '../domain/zergling-id.js'
import { StoreError } from './store-error.js'

function notOurs (): StoreError {
  return new StoreError('invalid_cursor', 'The cursor is not one this service handed out: pass back the `next` value of a previous page, unchanged, or start again without it.')
}

export function encodeCursor (lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url')
}

/** The id a page continues after, or StoreError `invalid_cursor` for anything we did not mint. */
export function decodeCursor (cursor: string): string {
  const id = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : ''
  if (!isZerglingId(id) || encodeCursor(id) !== cursor) throw notOurs()
  return id
}

const HISTORY_CURSOR = /^h([0-9]{1,12})$/

export function encodeHistoryCursor (offset: number): string {
  return Buffer.from(`h${offset}`, 'latin1').toString('base64url')
}

/** The offset a history page starts at (0 without a cursor), or StoreError `invalid_cursor`. */
export function decodeHistoryCursor (cursor: string | undefined): number {
  if (cursor === undefined) return 0
  const match = HISTORY_CURSOR.exec(Buffer.from(cursor, 'base64url').toString('latin1'))
  if (match === null || encodeHistoryCursor(Number(match[1])) !== cursor) throw notOurs()
  return Number(match[1])
}
