// Commands as the store tests send them: one request per call, the letters parsed as a client's.
import { parseCommands } from '../../../src/domain/index.js'
import type { HistoryView, StoredZergling, ZerglingStore } from '../../../src/store/zergling-store.js'

export async function send (store: ZerglingStore, id: string, letters: string, idempotencyKey?: string, history: HistoryView = 'none'): Promise<StoredZergling> {
  return (await store.command(id, { commands: parseCommands(letters), history, idempotencyKey })).result
}

/** Each entry of `writes` is one command request; returns all their letters, in order. */
export async function sendEach (store: ZerglingStore, id: string, writes: readonly string[]): Promise<string> {
  for (const letters of writes) await send(store, id, letters)
  return writes.join('')
}
