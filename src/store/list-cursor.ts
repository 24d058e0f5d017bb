// The opaque `next` cursor of a list page: base64url of the last zergling id on that page.
// The next page starts at that id (`startkey`) and drops it if it is still there, so a deleted
// last id neither repeats a row nor skips one (`skip=1` would skip a real row in that case).
import { isZerglingId } from '../domain/zergling-id.js'
import { StoreError } from './store-error.js'

export function encodeCursor (lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url')
}

/** The id a page continues after, or StoreError `invalid_cursor` for anything we did not mint. */
export function decodeCursor (cursor: string): string {
  const id = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : ''
  if (!isZerglingId(id) || encodeCursor(id) !== cursor) {
    throw new StoreError('invalid_cursor', 'The list cursor is not one this service handed out: start again without `next`.')
  }
  return id
}
