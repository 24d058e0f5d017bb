// The one entry tests use to get a CouchDB: a real server when COUCHDB_TEST_URL is set
// (e.g. http://admin:PASS@127.0.0.1:5984), otherwise a fresh CouchDB-protocol double.
import { randomBytes } from 'node:crypto'
import { startCouchDouble, type CouchDouble, type CouchDoubleOptions } from './couch-double/index.js'

export interface TestCouch {
  /** base URL without credentials and without a trailing slash */
  url: string
  username: string
  password: string
  /** set when this is the double; tests needing double-only knobs skip when it is undefined */
  double?: CouchDouble
  /** a fresh legal database name, deleted again by close() */
  uniqueDatabaseName (prefix: string): string
  /** deletes a database; a missing one is fine */
  deleteDatabase (name: string): Promise<void>
  close (): Promise<void>
}

const DOUBLE_ADMIN = { username: 'admin', password: 'double-admin-password' }

export async function startTestCouch (options: CouchDoubleOptions = {}): Promise<TestCouch> {
  // Test support is outside src/config.ts on purpose: only the tests read this variable.
  const real = process.env.COUCHDB_TEST_URL
  if (real !== undefined && real !== '') return realCouch(real)
  const admins = options.admins ?? { [DOUBLE_ADMIN.username]: DOUBLE_ADMIN.password }
  const [username = '', password = ''] = Object.entries(admins)[0] ?? []
  const double = await startCouchDouble({ ...options, admins })
  return testCouch(double.url, username, password, double, async () => await double.close())
}

function realCouch (rawUrl: string): TestCouch {
  const parsed = new URL(rawUrl)
  const username = decodeURIComponent(parsed.username)
  const password = decodeURIComponent(parsed.password)
  parsed.username = ''
  parsed.password = ''
  return testCouch(parsed.toString().replace(/\/+$/, ''), username, password, undefined, async () => {})
}

function testCouch (url: string, username: string, password: string, double: CouchDouble | undefined, stop: () => Promise<void>): TestCouch {
  const named = new Set<string>()
  const authorization = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64')
  const deleteDatabase = async (name: string): Promise<void> => {
    const res = await fetch(`${url}/${encodeURIComponent(name)}`, { method: 'DELETE', headers: { authorization } })
    await res.arrayBuffer()
    // Only the status goes into the error: never the URL with credentials.
    if (res.status !== 200 && res.status !== 202 && res.status !== 404) throw new Error(`deleting test database ${name} answered ${res.status}`)
  }
  return {
    url,
    username,
    password,
    double,
    uniqueDatabaseName (prefix) {
      const clean = prefix.toLowerCase().replace(/[^a-z0-9_$()+/-]/g, '-').replace(/^[^a-z]+/, '')
      const name = `${clean === '' ? 'test' : clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
      named.add(name)
      return name
    },
    deleteDatabase,
    async close () {
      if (double === undefined) {
        for (const name of named) await deleteDatabase(name)
      }
      named.clear()
      await stop()
    },
  }
}
