// Makes the store available to routes as `fastify.store` and closes it when the app closes, so
// that `app.close()` (SIGTERM, tests) releases CouchDB connections and leveldb files.
import fp from 'fastify-plugin'
import type { ZerglingStore } from '../store/zergling-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: ZerglingStore
  }
}

export default fp(async function storePlugin (fastify, options: { store: ZerglingStore }) {
  fastify.decorate('store', options.store)
  fastify.addHook('onClose', async () => {
    await options.store.close()
  })
}, { name: 'store', fastify: '5.x' })
