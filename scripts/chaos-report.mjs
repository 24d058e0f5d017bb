#!/usr/bin/env node
// `npm run test:chaos`: runs the reliability suite (test/reliability) with node's runner, then adds
// up what every test file sent and what became of it (each writes its figures to
// $CHAOS_LEDGER_DIR, see test/reliability/support/ledger.ts) and prints one table. Exits 1 when a
// test failed or when a figure that must be zero is not, 0 otherwise.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

const SUITE = 'test/reliability'

function findTests (dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return findTests(path)
    return name.endsWith('.test.ts') ? [path] : []
  })
}

const COLUMNS = [
  ['sent', 'requests sent', undefined],
  ['acknowledged', 'acknowledged (2xx)', undefined],
  ['lost', 'lost', 0],
  ['appliedTwice', 'applied twice', 0],
  ['appliedDespiteError', 'applied despite an error', 0],
  ['serverErrors', '5xx other than 503 (or dropped)', 0],
  ['secretHits', 'secrets in answers or logs', 0]
]

const ledgerDir = mkdtempSync(join(tmpdir(), 'overmind-chaos-'))
let testStatus = 1
let rows = []
try {
  const files = findTests(SUITE).sort()
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
    stdio: 'inherit',
    env: { ...process.env, CHAOS_LEDGER_DIR: ledgerDir }
  })
  testStatus = result.status ?? 1
  rows = readdirSync(ledgerDir).filter((name) => name.endsWith('.json')).sort()
    .map((name) => JSON.parse(readFileSync(join(ledgerDir, name), 'utf8')))
} finally {
  rmSync(ledgerDir, { recursive: true, force: true })
}

const total = { file: 'total' }
for (const [key] of COLUMNS) total[key] = rows.reduce((sum, row) => sum + (row[key] ?? 0), 0)
const broken = COLUMNS.filter(([key, , bound]) => bound !== undefined && total[key] > bound)

const table = [['', ...rows.map((row) => row.file), 'total', 'bound']]
for (const [key, label, bound] of COLUMNS) {
  table.push([label, ...rows.map((row) => String(row[key] ?? 0)), String(total[key]), bound === undefined ? '' : `= ${bound}`])
}
const widths = table[0].map((_, c) => Math.max(...table.map((line) => line[c].length)))
const line = (cells) => '| ' + cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ') + ' |'
console.log('\nChaos report (test/reliability)')
console.log(line(table[0]))
console.log('|' + widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|')
for (const cells of table.slice(1)) console.log(line(cells))

if (rows.length === 0) console.log('\nno figures were recorded: the suite did not run')
for (const [, label, bound] of broken) console.log(`\nbound broken: ${label} is ${total[COLUMNS.find(([, l]) => l === label)[0]]}, must be ${bound}`)
if (testStatus !== 0) console.log('\nsome reliability tests failed (see above)')
const ok = testStatus === 0 && broken.length === 0 && rows.length > 0
console.log(ok ? '\nchaos: every bound holds' : '\nchaos: FAILED')
process.exit(ok ? 0 : 1)
