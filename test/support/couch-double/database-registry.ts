// The databases of one double: each a PouchDB memory database (PouchDB keeps the rev trees), plus
// its _security object. Names inside PouchDB are unique per double and per creation, because the
// memory adapter shares storage between instances of the same name in one process.
import PouchDB from 'pouchdb'
import memoryAdapter from 'pouchdb-adapter-memory'
import { randomHex } from './state.js'

PouchDB.plugin(memoryAdapter)

export interface Database {
  readonly name: string
  readonly pouch: PouchDB.Database
  /** undefined until someone PUTs _security: the version's default applies. */
  security?: Record<string, unknown>
  readonly createdAt: number
}

export interface DatabaseRegistry {
  get (name: string): Database | undefined
  names (): string[]
  create (name: string): Database
  remove (name: string): Promise<boolean>
  destroyAll (): Promise<void>
}

/** `revsLimit`: the revisions each document keeps on its path (CouchDB's `_revs_limit`, 1000). */
export function createDatabaseRegistry (revsLimit = 1000): DatabaseRegistry {
  const prefix = `couch-double-${randomHex(6)}`
  const databases = new Map<string, Database>()
  let generation = 0
  return {
    get: (name) => databases.get(name),
    names: () => [...databases.keys()].sort(),
    create (name) {
      generation += 1
      const db: Database = { name, pouch: new PouchDB(`${prefix}-${generation}`, { adapter: 'memory', revs_limit: revsLimit }), createdAt: Date.now() }
      databases.set(name, db)
      return db
    },
    async remove (name) {
      const db = databases.get(name)
      if (db === undefined) return false
      databases.delete(name)
      await db.pouch.destroy()
      return true
    },
    async destroyAll () {
      const all = [...databases.values()]
      databases.clear()
      await Promise.all(all.map(async (db) => await db.pouch.destroy()))
    },
  }
}

// https://docs.couchdb.org/en/stable/api/database/common.html#put--db
const DB_NAME = /^[a-z][a-z0-9_$()+/-]*$/
const SYSTEM_DBS = new Set(['_users', '_replicator', '_global_changes'])

export const isLegalDatabaseName = (name: string): boolean => DB_NAME.test(name) || SYSTEM_DBS.has(name)
