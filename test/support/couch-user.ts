// A CouchDB user of a test's own, member of one database: the tests that get a password wrong
// use it, never the shared admin, because a real CouchDB 3.4 locks a user out of an address
// after 5 failed checks (auth lockout, on by default) and would lock the whole suite out.
// https://docs.couchdb.org/en/stable/intro/security.html#creating-a-new-user
import { randomBytes } from 'node:crypto'
import type { TestCouch } from './test-couch.js'

export interface CouchUser {
  name: string
  password: string
  /**
   * Writes the user's `_users` document with this password. CouchDB hashes it with a new salt,
   * which also lifts a lockout: the salt is part of the lockout key.
   */
  setPassword (password: string): Promise<void>
  /** Sends wrong passwords (Basic) until CouchDB answers with the lockout 403; returns how many it took. */
  lockOut (): Promise<number>
  /** Deletes the user. */
  remove (): Promise<void>
}

async function asAdmin (couch: TestCouch, method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  const response = await fetch(`${couch.url}${path}`, {
    method,
    headers: { authorization: basic(couch.username, couch.password), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: response.status, body: await response.json() }
}

async function untilSessionEnds (couch: TestCouch, name: string, cookie: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const session = await fetch(`${couch.url}/_session`, { headers: { cookie } })
    if ((await session.json() as { userCtx?: { name?: string | null } }).userCtx?.name !== name) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A session cookie of `name` (a successful login counts nothing against the lockout), or undefined. */
async function sessionCookie (couch: TestCouch, name: string, password: string): Promise<string | undefined> {
  const response = await fetch(`${couch.url}/_session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) })
  await response.arrayBuffer()
  return response.status === 200 ? response.headers.get('set-cookie')?.split(';')[0] : undefined
}

function basic (name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`
}

/** A fresh database (deleted by `remove`) whose only member is a fresh user. */
export async function createUserDatabase (couch: TestCouch, prefix: string): Promise<{ database: string, user: CouchUser, remove: () => Promise<void> }> {
  const database = couch.uniqueDatabaseName(prefix)
  const created = await asAdmin(couch, 'PUT', `/${encodeURIComponent(database)}`)
  if (created.status !== 201) throw new Error(`creating the test database answered ${created.status}`)
  const user = await createCouchUser(couch, database)
  return {
    database,
    user,
    async remove () {
      await user.remove()
      await couch.deleteDatabase(database)
    }
  }
}

/** Creates the user and makes it the only member of `database` (which must exist). */
export async function createCouchUser (couch: TestCouch, database: string): Promise<CouchUser> {
  const name = `test-user-${randomBytes(4).toString('hex')}`
  const id = `/_users/${encodeURIComponent(`org.couchdb.user:${name}`)}`
  const user: CouchUser = {
    name,
    password: `user-pw-${randomBytes(6).toString('hex')}`,
    async setPassword (password) {
      const current = await asAdmin(couch, 'GET', id)
      const rev = current.status === 200 ? { _rev: current.body._rev } : {}
      // A session of the old password: gone once CouchDB checks against the new salt.
      const cookie = current.status === 200 ? await sessionCookie(couch, name, user.password) : undefined
      const written = await asAdmin(couch, 'PUT', id, { _id: `org.couchdb.user:${name}`, ...rev, name, type: 'user', roles: [], password })
      if (written.status !== 201) throw new Error(`writing the test user answered ${written.status}`)
      user.password = password
      // A real CouchDB checks credentials against its cache of `_users` (chttpd_auth_cache), which
      // follows the write a moment later; until then the old password and its cookies still work.
      // Waited for here, so that a test's next call meets the new password in force.
      if (cookie !== undefined) await untilSessionEnds(couch, name, cookie)
    },

    async lockOut () {
      for (let tries = 1; tries <= 20; tries++) {
        const response = await fetch(`${couch.url}/${encodeURIComponent(database)}`, { headers: { authorization: basic(name, `wrong-${tries}`) } })
        await response.arrayBuffer()
        if (response.status === 403) return tries
      }
      throw new Error('CouchDB did not lock the user out after 20 wrong passwords (is [chttpd_auth_lockout] mode "enforce"?)')
    },
    async remove () {
      const current = await asAdmin(couch, 'GET', id)
      if (current.status === 200) await asAdmin(couch, 'DELETE', `${id}?rev=${encodeURIComponent(current.body._rev)}`)
    }
  }
  await user.setPassword(user.password)
  const security = await asAdmin(couch, 'PUT', `/${encodeURIComponent(database)}/_security`, { admins: { names: [], roles: ['_admin'] }, members: { names: [name], roles: ['_admin'] } })
  if (security.status !== 200) throw new Error(`setting the test database's members answered ${security.status}`)
  return user
}
