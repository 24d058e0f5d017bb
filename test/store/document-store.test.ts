// The shared store logic over the in-memory backend: what the contract suite cannot see from
// outside (which calls reach the backend, how many).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCommands } from '../../src/domain/command.js'
import { createDocumentStore } from '../../src/store/document-store.js'
import { assertStoreError } from './zergling-store.contract.js'
import { createMemoryBackend } from './support/memory-backend.js'

describe('the document store', () => {
  it('when an id is not a zergling id, then every operation says not_found without asking the backend', async () => {
    const backend = createMemoryBackend()
    const store = createDocumentStore(backend)
    const { id } = (await store.spawn()).result
    backend.calls.length = 0
    for (const path of ['_local/x', '_design%2Fx', '_all_docs', `history:${id}:00000000`, `${id}x`, '']) {
      await assertStoreError(store.get(path, 'all'), 'not_found')
      await assertStoreError(store.command(path, { commands: parseCommands('M'), history: 'none' }), 'not_found')
      await assertStoreError(store.history(path, { offset: 0, limit: 1 }), 'not_found')
      await assertStoreError(store.remove(path, 'none'), 'not_found')
    }
    assert.deepEqual(backend.calls, [])
  })
})
