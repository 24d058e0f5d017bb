// The one place the bench calls the store API directly (the raw-store baseline, the seeding
// template). The API is mid-change — create/update(id, change) is becoming
// spawn/command(id, {commands, history}) with get(id, history) — so each call uses whichever the
// store has. Once the new API has landed everywhere, the old branches can go.
import { randomUUID } from 'node:crypto'
import { applyCommands } from '../../src/domain/command.js'
import { spawnZergling, type Command, type Zergling } from '../../src/domain/zergling.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'

interface StoreOfEitherApi {
  spawn?: () => Promise<{ result: { id: string } }>
  create?: (zergling: Zergling) => Promise<{ id: string }>
  command?: (id: string, request: { commands: Command[], history: 'all' | 'none' }) => Promise<unknown>
  update?: (id: string, change: (current: Zergling) => Zergling) => Promise<unknown>
  get: (id: string, history?: 'all') => Promise<unknown>
}

const either = (store: ZerglingStore): StoreOfEitherApi => store as unknown as StoreOfEitherApi

/** Spawns a zergling at (0,0) facing N; returns its id. */
export async function spawnIn (store: ZerglingStore): Promise<string> {
  const api = either(store)
  if (api.spawn !== undefined) return (await api.spawn()).result.id
  if (api.create !== undefined) return (await api.create(spawnZergling(randomUUID()))).id
  throw new Error('the store has neither spawn nor create')
}

/** Commands, as the service applies them: by default with the whole history back, as a command without `?history` answers. */
export async function commandIn (store: ZerglingStore, id: string, commands: Command[], history: 'all' | 'none' = 'all'): Promise<void> {
  const api = either(store)
  if (api.command !== undefined) {
    await api.command(id, { commands, history })
  } else if (api.update !== undefined) {
    await api.update(id, (current) => applyCommands(current, commands))
  } else {
    throw new Error('the store has neither command nor update')
  }
}

/** A read with the full history (what `GET /zerglings/:id` answers by default). */
export async function getIn (store: ZerglingStore, id: string): Promise<void> {
  await either(store).get(id, 'all')
}
