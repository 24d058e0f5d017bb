import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { decodeCursor, encodeCursor } from '../../src/store/list-cursor.js'
import { isStoreError } from '../../src/store/store-error.js'

describe('the list cursor', () => {
  it('when a zergling id is encoded, then decoding gives it back and the cursor is url-safe', () => {
    const id = randomUUID()
    const cursor = encodeCursor(id)
    assert.match(cursor, /^[A-Za-z0-9_-]+$/)
    assert.equal(decodeCursor(cursor), id)
  })

  it('when a cursor is not one the store hands out, then decoding throws invalid_cursor', () => {
    const forged = ['', '!!', 'a b', encodeCursor('_design/x'), encodeCursor('../_all_docs'), `${encodeCursor(randomUUID())}=`]
    for (const cursor of forged) {
      assert.throws(() => decodeCursor(cursor), (error) => isStoreError(error, 'invalid_cursor'), cursor)
    }
  })
})
