import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { decodeCursor, decodeHistoryCursor, encodeCursor, encodeHistoryCursor } from '../../src/store/cursors.js'
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

describe('the history cursor', () => {
  it('when an offset is encoded, then decoding gives it back, and no cursor means the start', () => {
    assert.equal(decodeHistoryCursor(encodeHistoryCursor(123456)), 123456)
    assert.equal(decodeHistoryCursor(undefined), 0)
  })

  it('when a history cursor was not handed out, then decoding throws the same invalid_cursor as a list cursor', () => {
    for (const cursor of ['x', encodeCursor(randomUUID()), Buffer.from('h-1').toString('base64url'), `${encodeHistoryCursor(5)}=`]) {
      assert.throws(() => decodeHistoryCursor(cursor), (error) => isStoreError(error, 'invalid_cursor'), cursor)
    }
  })
})
