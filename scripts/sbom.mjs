#!/usr/bin/env node
// `npm run sbom`: a CycloneDX SBOM of what the image ships — overmind and its production
// dependencies, from package-lock.json — written to the file named (default sbom.cdx.json).
//
// npm's own `npm sbom` makes it, with one correction. `--omit dev` drops a production dependency
// that a dev dependency also uses (npm/cli#7909, still open in npm 11.19): here it left out 88 of
// the 238 production packages, fastify's validator ajv among them. Without `--omit`, npm marks
// each component `scope: "required"` exactly when the lockfile has it as a production package
// (dev-only ones are `"optional"`), so that full SBOM is made and the dev-only components (with
// their dependency entries) are taken out. npm also names the root component after the directory
// it runs in (`app` in the image); it gets package.json's name back.
// https://docs.npmjs.com/cli/v11/commands/npm-sbom
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'

const output = process.argv[2] ?? 'sbom.cdx.json'
// Under `npm run` the same npm that runs the script; else the one on PATH.
const npm = process.env.npm_execpath === undefined ? ['npm'] : [process.execPath, process.env.npm_execpath]
const args = ['sbom', '--sbom-format', 'cyclonedx', '--sbom-type', 'application', '--package-lock-only']
const made = spawnSync(npm[0], [...npm.slice(1), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] })
if (made.status !== 0) {
  process.stderr.write(`npm sbom failed (${made.status ?? made.signal}); no SBOM written\n`)
  process.exit(1)
}

const bom = JSON.parse(made.stdout)
const { name } = JSON.parse(readFileSync('package.json', 'utf8'))
const shipped = bom.components.filter((component) => component.scope === 'required')
const kept = new Set([bom.metadata.component['bom-ref'], ...shipped.map((component) => component['bom-ref'])])
bom.metadata.component.name = name
bom.components = shipped
bom.dependencies = bom.dependencies
  .filter((entry) => kept.has(entry.ref))
  .map((entry) => ({ ...entry, dependsOn: entry.dependsOn.filter((ref) => kept.has(ref)) }))
writeFileSync(output, JSON.stringify(bom, null, 2) + '\n')
process.stderr.write(`${output}: CycloneDX ${bom.specVersion}, ${name}@${bom.metadata.component.version} and ${shipped.length} production packages\n`)
