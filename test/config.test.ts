import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig, parseHttpAddr } from '../src/config.js'

describe('configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'overmind-config-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('with nothing set, serves on 0.0.0.0:8080 from the embedded store under ./data', () => {
    const config = loadConfig({})
    assert.deepEqual(config.http, { host: '0.0.0.0', port: 8080, corsOrigins: [], rateLimitPerMinute: undefined, hstsMaxAgeSeconds: undefined, trustProxy: undefined })
    assert.deepEqual(config.access, { adminTokenFile: undefined, apiTokenFile: undefined, metricsAddr: undefined })
    assert.deepEqual(config.store, { kind: 'embedded', dataDir: './data', database: 'zerglings' })
    assert.equal(config.logLevel, 'info')
  })

  it('reads the listen address in the forms Go wrote it', () => {
    assert.deepEqual(parseHttpAddr(':9090'), { host: '0.0.0.0', port: 9090 })
    assert.deepEqual(parseHttpAddr('127.0.0.1:80'), { host: '127.0.0.1', port: 80 })
    assert.deepEqual(parseHttpAddr('[::1]:8080'), { host: '::1', port: 8080 })
  })

  it('reads OVERMIND_TRUST_PROXY as true or a list of addresses and ranges, and OVERMIND_METRICS_ADDR as host:port', () => {
    assert.equal(loadConfig({ OVERMIND_TRUST_PROXY: 'true' }).http.trustProxy, true)
    assert.deepEqual(loadConfig({ OVERMIND_TRUST_PROXY: '10.0.0.0/8, loopback,fd00::/8,192.0.2.7' }).http.trustProxy, ['10.0.0.0/8', 'loopback', 'fd00::/8', '192.0.2.7'])
    assert.deepEqual(loadConfig({ OVERMIND_METRICS_ADDR: ':9090' }).access.metricsAddr, { host: '0.0.0.0', port: 9090 })
    assert.throws(() => loadConfig({ OVERMIND_METRICS_ADDR: 'nine' }), /^ConfigError: OVERMIND_METRICS_ADDR must look like/)
  })

  it('the --http.addr flag wins over OVERMIND_HTTP_ADDR', () => {
    assert.equal(loadConfig({ OVERMIND_HTTP_ADDR: ':1' }, { httpAddr: ':2' }).http.port, 2)
  })

  for (const [name, value] of [
    ['OVERMIND_HTTP_ADDR', 'localhost'], ['OVERMIND_HTTP_ADDR', ':99999'], ['OVERMIND_LOG_LEVEL', 'loud'],
    ['OVERMIND_DATABASE', 'Zerglings'], ['COUCHDB_SERVICE_PORT', 'abc'], ['OVERMIND_COUCHDB_TIMEOUT_MS', '-1'],
    ['OVERMIND_CORS_ORIGIN', 'app.example'], ['OVERMIND_CORS_ORIGIN', 'https://app.example/path'], ['OVERMIND_RATE_LIMIT_PER_MINUTE', '0'],
    ['OVERMIND_METRICS_ADDR', 'localhost'], ['OVERMIND_TRUST_PROXY', '1'], ['OVERMIND_TRUST_PROXY', '10.0.0.0/33'], ['OVERMIND_TRUST_PROXY', 'proxy.example'],
    ['OVERMIND_TRUST_PROXY', '10.0.0.1/8/8']
  ]) {
    it(`rejects ${name}=${value} with a sentence naming the variable`, () => {
      const env = { COUCHDB_SERVICE_HOST: 'couchdb', [name]: value }
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.message.includes(name))
    })
  }

  for (const [name, value] of [['OVERMIND_COUCHDB_AUTH', 'kerberos'], ['OVERMIND_COUCHDB_TIMEOUT_MS', 'soon'], ['COUCHDB_SERVICE_PORT', '0'], ['OVERMIND_COUCHDB_NODES', 'three']]) {
    it(`rejects ${name}=${value} also when no CouchDB is configured (the embedded store would not use it)`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && error.message.includes(name))
    })
  }

  it('rejects a COUCHDB_SERVICE_HOST that is not a host with a sentence naming that variable, not COUCHDB_URL', () => {
    for (const host of ['http://couchdb', 'couchdb:5984', 'couch db', 'couchdb/x']) {
      assert.throws(() => loadConfig({ COUCHDB_SERVICE_HOST: host }), (error: unknown) =>
        error instanceof ConfigError && error.message.startsWith('COUCHDB_SERVICE_HOST must be a host') && !error.message.includes('COUCHDB_URL'), host)
    }
    const ipv6 = loadConfig({ COUCHDB_SERVICE_HOST: 'fd00::7' }).store
    assert.equal(ipv6.kind === 'couchdb' && ipv6.couch.url, 'http://[fd00::7]:5984')
  })

  it('reads CORS origins as a comma-separated list and the rate limit as a number', () => {
    const config = loadConfig({ OVERMIND_CORS_ORIGIN: 'https://a.example, http://localhost:3000', OVERMIND_RATE_LIMIT_PER_MINUTE: '600' })
    assert.deepEqual(config.http.corsOrigins, ['https://a.example', 'http://localhost:3000'])
    assert.equal(config.http.rateLimitPerMinute, 600)
  })

  it('builds the CouchDB URL from the seed\'s service variables, defaulting the port to 5984', () => {
    const config = loadConfig({ COUCHDB_SERVICE_HOST: '10.0.0.7', COUCHDB_USERNAME: 'admin', COUCHDB_PASSWORD: 's3cret' })
    assert.deepEqual(config.store, {
      kind: 'couchdb',
      couch: { url: 'http://10.0.0.7:5984', username: 'admin', password: 's3cret', database: 'zerglings', requestTimeoutMs: 5000, auth: 'cookie' },
      reads: 'couchdb'
    })
  })

  it('reads GETs from memory only when OVERMIND_READS says so, and refuses any other value, whatever the store', () => {
    const couch = { COUCHDB_URL: 'http://couchdb:5984' }
    assert.deepEqual([loadConfig(couch).store, loadConfig({ ...couch, OVERMIND_READS: 'memory' }).store].map((store) => store.kind === 'couchdb' ? store.reads : store.kind), ['couchdb', 'memory'])
    assert.throws(() => loadConfig({ ...couch, OVERMIND_READS: 'cache' }), /OVERMIND_READS/)
    assert.throws(() => loadConfig({ OVERMIND_READS: 'cache' }), /OVERMIND_READS/, 'refused on the embedded store too')
  })

  it('takes credentials out of COUCHDB_URL so the URL can be logged', () => {
    const config = loadConfig({ COUCHDB_URL: 'https://ad%40min:p%3Ass@db.example:6984/', COUCHDB_SERVICE_HOST: 'ignored' })
    assert.equal(config.store.kind, 'couchdb')
    if (config.store.kind !== 'couchdb') return
    assert.equal(config.store.couch.url, 'https://db.example:6984')
    assert.equal(config.store.couch.username, 'ad@min')
    assert.equal(config.store.couch.password, 'p:ss')
  })

  it('reads the password from COUCHDB_PASSWORD_FILE, without the trailing newline of a mounted Secret', () => {
    const file = join(dir, 'password')
    writeFileSync(file, 'from-a-secret\n')
    const config = loadConfig({ COUCHDB_SERVICE_HOST: 'couchdb', COUCHDB_USERNAME: 'admin', COUCHDB_PASSWORD_FILE: file })
    assert.equal(config.store.kind === 'couchdb' && config.store.couch.password, 'from-a-secret')
  })

  it('when the passwords come from files, then the configuration says which, so the service can watch a rotated Secret', () => {
    const file = join(dir, 'password')
    writeFileSync(file, 'from-a-secret\n')
    const fromFiles = loadConfig({ COUCHDB_SERVICE_HOST: 'couchdb', COUCHDB_USERNAME: 'admin', COUCHDB_PASSWORD_FILE: file, COUCHDB_APP_USERNAME: 'app', COUCHDB_APP_PASSWORD_FILE: file })
    assert.equal(fromFiles.store.kind === 'couchdb' && fromFiles.store.couch.passwordFile, file)
    assert.equal(fromFiles.bootstrap.appPasswordFile, file)
    const fromEnv = loadConfig({ COUCHDB_SERVICE_HOST: 'couchdb', COUCHDB_USERNAME: 'admin', COUCHDB_PASSWORD: 'x' })
    assert.equal(fromEnv.store.kind === 'couchdb' && fromEnv.store.couch.passwordFile, undefined)
  })

  it('refuses both COUCHDB_PASSWORD and COUCHDB_PASSWORD_FILE, and a file that cannot be read', () => {
    assert.throws(() => loadConfig({ COUCHDB_SERVICE_HOST: 'c', COUCHDB_USERNAME: 'a', COUCHDB_PASSWORD: 'x', COUCHDB_PASSWORD_FILE: '/x' }), /not both/)
    assert.throws(() => loadConfig({ COUCHDB_SERVICE_HOST: 'c', COUCHDB_USERNAME: 'a', COUCHDB_PASSWORD_FILE: join(dir, 'missing') }), /cannot be read \(ENOENT\)/)
  })

  it('never repeats a malformed COUCHDB_URL, which may hold a password', () => {
    assert.throws(() => loadConfig({ COUCHDB_URL: 'not a url with hunter2' }), (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2'))
  })
})

describe('the README\'s configuration table', () => {
  it('lists every variable the code reads, and none that it does not, with the same meaning and default, in the same order', async () => {
    const { CONFIG_VARIABLES } = await import('../src/config.js')
    const readme = (await import('node:fs')).readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Pointing it at CouchDB'))
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \| (.+) \| (?:`([^`]*)`)? ?\|$/gm)]
      .map(([, name, meaning, fallback]) => ({ name, meaning, default: fallback }))
    assert.deepEqual(documented, CONFIG_VARIABLES.map(({ name, meaning, default: fallback }) => ({ name, meaning, default: fallback })))
  })
})
