// The watcher of a mounted Secret's file (src/secret-file.ts), on a directory laid out and
// updated the way the kubelet does it (test/support/mounted-secret.ts).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { watchSecretFile, type SecretFileOptions } from '../src/secret-file.js'
import { mountSecret } from './support/mounted-secret.js'

async function watching (options: SecretFileOptions, act: (update: (text: string) => Promise<void>, seen: string[], read: () => string | undefined) => Promise<void>): Promise<void> {
  const secret = await mountSecret('password', 'first')
  const seen: string[] = []
  const watch = watchSecretFile(secret.path, 'first', (text) => { seen.push(text) }, options)
  try {
    await act(secret.update, seen, watch.read)
  } finally {
    watch.close()
    await secret.remove()
  }
}

async function eventually (seen: string[], count: number): Promise<void> {
  const deadline = Date.now() + 5000
  while (seen.length < count && Date.now() < deadline) await sleep(20)
}

describe('watchSecretFile', () => {
  it('when the kubelet swaps ..data to a new directory, then the directory watch reports the new text once, without its trailing newline', async () => {
    await watching({ pollMs: 60_000 }, async (update, seen) => {
      await update('second')
      await eventually(seen, 1)
      await sleep(200)
      assert.deepEqual(seen, ['second'])
    })
  })

  it('when the directory events are missed, then polling still reports the change', async () => {
    // A watch whose reads come a minute late stands for one that saw nothing.
    await watching({ pollMs: 50, debounceMs: 60_000 }, async (update, seen) => {
      await update('second')
      await eventually(seen, 1)
      assert.deepEqual(seen, ['second'])
    })
  })

  it('when the Secret is written again with the same value, then nothing is reported', async () => {
    await watching({ pollMs: 50 }, async (update, seen) => {
      await update('first')
      await sleep(300)
      assert.deepEqual(seen, [])
    })
  })

  it('when a caller reads before the watcher noticed, then it gets the new text and the change is reported', async () => {
    await watching({ pollMs: 60_000, debounceMs: 60_000 }, async (update, seen, read) => {
      await update('second')
      assert.equal(read(), 'second')
      assert.deepEqual(seen, ['second'])
    })
  })
})
