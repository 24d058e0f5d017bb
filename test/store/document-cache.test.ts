import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_CACHED_BYTES, openDocumentCache } from '../../src/store/document-cache.js'

describe('the embedded store\'s document cache', () => {
  it('when two stores open the same directory, then a write through one is what the other reads', () => {
    const a = openDocumentCache('/tmp/cache-test-shared')
    const b = openDocumentCache('/tmp/cache-test-shared')
    a.put('z', { _rev: '2-x' })
    assert.deepEqual(b.get('z'), { _rev: '2-x' })
    b.forget('z')
    assert.equal(a.get('z'), undefined)
    a.release()
    b.release()
  })

  it('when an older revision arrives after a newer one, then the newer one stays', () => {
    const cache = openDocumentCache('/tmp/cache-test-order')
    cache.put('z', { _rev: '3-new' })
    cache.put('z', { _rev: '2-old' })
    assert.deepEqual(cache.get('z'), { _rev: '3-new' })
    cache.release()
  })

  it('when every store on a directory is closed, then a new one starts empty', () => {
    const first = openDocumentCache('/tmp/cache-test-release')
    first.put('z', { _rev: '1-a' })
    first.release()
    const second = openDocumentCache('/tmp/cache-test-release')
    assert.equal(second.get('z'), undefined)
    second.release()
  })

  it('when more documents than it keeps are read, then the least recently used go first', () => {
    const cache = openDocumentCache('/tmp/cache-test-lru')
    for (let i = 0; i < 5001; i++) {
      cache.put(`d${i}`, { _rev: '1-a' })
      if (i === 0) continue
      if (i === 1) cache.get('d0')
    }
    assert.ok(cache.get('d0'), 'recently read, kept')
    assert.equal(cache.get('d1'), undefined, 'least recently used, dropped')
    cache.release()
  })
})

describe('the document cache with large documents', () => {
  it('when documents add up to more than the bytes it keeps, then the least recently used go first, however few they are', () => {
    const cache = openDocumentCache('/tmp/cache-test-bytes')
    const big = 'M'.repeat(MAX_CACHED_BYTES / 4)
    for (let i = 0; i < 6; i++) cache.put(`d${i}`, { _rev: '1-a', recentCommands: big } as { _rev: string })
    assert.equal(cache.get('d0'), undefined, 'the oldest went for the bytes, not the count')
    assert.equal(cache.get('d1'), undefined)
    assert.equal(cache.get('d2'), undefined)
    for (const id of ['d3', 'd4', 'd5']) assert.ok(cache.get(id), `${id} kept`)
    cache.forget('d3')
    cache.forget('d4')
    cache.put('d6', { _rev: '1-a', recentCommands: big } as { _rev: string })
    assert.ok(cache.get('d5'), 'what forget gave back counts again')
    cache.release()
  })
})
