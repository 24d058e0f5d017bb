// An app on a fresh embedded store in a temporary directory, for tests that call `inject`.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createApp, type CreateAppOptions } from '../../src/http/app.js'
import { createPouchStore } from '../../src/store/pouch-store.js'
import type { ZerglingStore } from '../../src/store/zergling-store.js'

export interface EmbeddedApp {
  app: FastifyInstance
  store: ZerglingStore
  close: () => Promise<void>
}

/** `wrap` may put a spy or a fault around the real store; `options` adds app options (a logger). */
export async function startEmbeddedApp (
  wrap: (store: ZerglingStore) => ZerglingStore = (store) => store,
  options: Omit<CreateAppOptions, 'store'> = {}
): Promise<EmbeddedApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'overmind-test-'))
  const store = wrap(await createPouchStore({ dataDir, database: 'zerglings' }))
  const app = await createApp({ ...options, store })
  return {
    app,
    store,
    close: async () => {
      await app.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}
