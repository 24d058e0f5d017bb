// The API's schemas as the service loads them (src/http/frozen-schemas.ts, plain objects) against
// the ones written with TypeBox (src/http/schemas.ts): the same, and the service's start reads
// none of TypeBox's modules. `npm run schemas` writes the frozen copy.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import * as frozen from '../../src/http/frozen-schemas.js'
import * as authored from '../../src/http/schemas.js'
import { exportedTypeNames, frozenModule } from '../../scripts/freeze-schemas.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

describe('the schemas the service loads', () => {
  it('when schemas.ts changes, then frozen-schemas.ts is regenerated: it holds what TypeBox builds, export for export (else run `npm run schemas`)', () => {
    assert.deepEqual(Object.keys(frozen).sort(), Object.keys(authored).sort())
    for (const [name, value] of Object.entries(authored)) {
      assert.deepEqual(JSON.parse(JSON.stringify((frozen as Record<string, unknown>)[name])), JSON.parse(JSON.stringify(value)), name)
    }
    const expected = frozenModule(authored, exportedTypeNames(readFileSync(`${root}src/http/schemas.ts`, 'utf8')))
    assert.equal(readFileSync(`${root}src/http/frozen-schemas.ts`, 'utf8'), expected, 'frozen-schemas.ts is what `npm run schemas` writes')
  })

  it('when the built service loads its HTTP server, then it reads no TypeBox module', () => {
    // Every module the import resolves, recorded by a resolve hook in the child.
    const hook = `data:text/javascript,${encodeURIComponent('export async function resolve (s, c, next) { const r = await next(s, c); if (r.url.includes("/node_modules/typebox/")) console.log("TYPEBOX " + r.url); return r }')}`
    const register = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hook)})`)}`
    const out = execFileSync(process.execPath, ['--import', register, '-e', "await import('./dist/http/server.js'); console.log('loaded')"], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
    assert.match(out, /loaded/)
    assert.doesNotMatch(out, /TYPEBOX/)
  })
})
