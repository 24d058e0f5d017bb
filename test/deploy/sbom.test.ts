// SBOM and provenance: `npm run sbom` writes a CycloneDX SBOM of the production packages from the
// lockfile, and the Dockerfile makes one in its build stage, copies it into the image and labels
// the image with the OCI annotations. (test/deploy/image.test.ts replays the build as root and
// checks the SBOM and labels the runtime stage ends up with.)
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { labelValues, parseDockerfile } from './dockerfile.js'
import { REPO_ROOT } from './manifests.js'

interface Component { 'bom-ref': string, type: string, name: string, version: string, scope?: string, purl: string }
interface Bom {
  bomFormat: string
  specVersion: string
  serialNumber: string
  metadata: { component: Component & { licenses: Array<{ license: { id: string } }> } }
  components: Component[]
  dependencies: Array<{ ref: string, dependsOn: string[] }>
}

const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string, version: string, license: string, description: string }
const lockfile = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { name?: string, version: string, dev?: boolean }> }

/** `name@version` of every package the lockfile installs with `--omit=dev`, as the image does. */
function productionPackages (): Set<string> {
  return new Set(Object.entries(lockfile.packages).filter(([path, entry]) => path !== '' && entry.dev !== true)
    .map(([path, entry]) => `${entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${entry.version}`))
}

describe('the SBOM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'overmind-sbom-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('when npm run sbom runs on the package files alone, then it writes CycloneDX JSON listing overmind and exactly the production packages of the lockfile', () => {
    // What the build stage has: package.json, the lockfile and the script (no node_modules needed).
    for (const file of ['package.json', 'package-lock.json']) cpSync(join(REPO_ROOT, file), join(dir, file))
    mkdirSync(join(dir, 'scripts'))
    cpSync(join(REPO_ROOT, 'scripts/sbom.mjs'), join(dir, 'scripts/sbom.mjs'))
    const run = spawnSync('npm', ['run', 'sbom'], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } })
    assert.equal(run.status, 0, run.stderr)
    const bom = JSON.parse(readFileSync(join(dir, 'sbom.cdx.json'), 'utf8')) as Bom

    assert.equal(bom.bomFormat, 'CycloneDX')
    assert.match(bom.specVersion, /^1\.[5-9]$/)
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/)
    const root = bom.metadata.component
    assert.deepEqual([root.type, root.name, root.version, root.purl], ['application', packageJson.name, packageJson.version, `pkg:npm/${packageJson.name}@${packageJson.version}`])
    assert.deepEqual(root.licenses.map(({ license }) => license.id), [packageJson.license])

    const listed = new Map(bom.components.map((component) => [component.name, component]))
    for (const runtime of ['fastify', 'undici', 'pouchdb', 'pino', 'ajv']) {
      // ajv: fastify's validator, which `npm sbom --omit dev` drops because dev tools use it too (npm/cli#7909).
      assert.ok(listed.has(runtime), `${runtime} is shipped`)
      assert.equal(listed.get(runtime)!.version, lockfile.packages[`node_modules/${runtime}`]!.version, runtime)
    }
    for (const devOnly of ['typescript', 'tsx', 'eslint', 'fast-check', 'kubernetes-models']) assert.equal(listed.has(devOnly), false, `${devOnly} is a dev dependency`)
    assert.deepEqual(new Set(bom.components.map(({ name, version }) => `${name}@${version}`)), productionPackages())
    for (const component of bom.components) assert.match(component.purl, /^pkg:npm\/.+@.+/, component.name)

    const refs = new Set([root['bom-ref'], ...bom.components.map((component) => component['bom-ref'])])
    assert.ok(bom.dependencies.every(({ ref, dependsOn }) => refs.has(ref) && dependsOn.every((on) => refs.has(on))), 'every dependency names a listed component')
    assert.ok(bom.dependencies.find(({ ref }) => ref === root['bom-ref'])!.dependsOn.includes(`fastify@${listed.get('fastify')!.version}`))
  })
})

describe('the Dockerfile\'s SBOM and labels', () => {
  const instructions = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))
  const runtimeAt = instructions.findIndex(({ keyword, args }) => keyword === 'FROM' && /AS runtime$/.test(args))
  const build = instructions.slice(0, runtimeAt)
  const runtime = instructions.slice(runtimeAt)

  test('when it is read, then the build stage makes the SBOM after installing, and the runtime stage copies it to /app/sbom.cdx.json', () => {
    const runs = build.map(({ keyword, args }) => keyword === 'RUN' ? args : '')
    const installed = runs.findIndex((run) => /npm ci\b/.test(run))
    const made = runs.findIndex((run) => /npm run sbom$/.test(run))
    assert.ok(installed !== -1 && made > installed, 'npm run sbom after npm ci in the build stage')
    assert.ok(runtime.some(({ keyword, args }) => keyword === 'COPY' && args === '--from=build /app/sbom.cdx.json ./'))
  })

  test('when it is read, then the image carries the OCI annotations, version, licence and description from package.json and the rest from build arguments with defaults', () => {
    const args = new Map(runtime.filter(({ keyword }) => keyword === 'ARG').map(({ args: text }) => text.split('=') as [string, string]))
    const labels = Object.assign({}, ...runtime.filter(({ keyword }) => keyword === 'LABEL').map(({ args: text }) => labelValues(text, args))) as Record<string, string>
    const oci = (name: string): string | undefined => labels[`org.opencontainers.image.${name}`]
    assert.equal(oci('title'), packageJson.name)
    assert.equal(oci('version'), packageJson.version)
    assert.equal(oci('licenses'), packageJson.license)
    assert.equal(oci('description'), packageJson.description)
    assert.equal(oci('revision'), 'unknown')
    assert.equal(oci('source'), 'unknown')
    assert.equal(oci('created'), '1970-01-01T00:00:00Z', 'the epoch, a valid RFC 3339 time, when CREATED is not given')
    assert.deepEqual(labelValues('a.b="$' + '{REVISION}"', new Map([['REVISION', 'abc123']])), { 'a.b': 'abc123' }, 'a --build-arg ends up in the label')
  })
})
