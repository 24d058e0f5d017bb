// latest.md: the targets first (measured ratio, pass/fail), then the machine, then every figure.
import { basename } from 'node:path'
import { errorCount } from '../support/result.js'
import type { BenchReport, TargetCheck } from './model.js'

export function renderMarkdown (report: BenchReport, name = 'latest'): string {
  const { machine, plan } = report
  const lines = [
    `# overmind bench — ${report.startedAt}${plan.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, node ${machine.node}, ${machine.platform}. ` +
      `Service built from ${report.git.commit.slice(0, 10)}${report.git.ref === undefined ? '' : ` (${report.git.ref}, with this bench)`}${report.git.dirty ? ' with uncommitted changes in the tree' : ''}; ` +
      `CouchDB: ${report.couchdb === 'double' ? 'the CouchDB-protocol double (PouchDB memory adapter, own process) with its CouchDB 3.4 latency model' : 'a real server (COUCHDB_BENCH_URL)'}; ` +
      `OVERMIND_LOG_LEVEL=${plan.logLevel}; warm-up ${plan.warmupS} s, measured ${plan.durationS} s per run; the run took ${report.durationS} s.`,
    '',
    '## Targets',
    '',
    '| target | limit | result | from |',
    '|---|---:|---|---|',
    ...report.targets.map((t) => `| ${t.name} | ${t.comparison} ${t.limit}${unit(t.unit)} | ${resultOf(t)} | ${t.formula} |`),
    '',
    '## Every scenario',
    '',
    '| target | scenario | conn. | request (parameters sent) | params | req/s | p50 ms | p99 ms | max ms | errors |',
    '|---|---|---:|---|---|---:|---:|---:|---:|---:|',
    ...report.results.map((r) => {
      const { request = '', ...rest } = r.params ?? {}
      return `| ${r.target} | ${r.scenario} | ${r.connections} | \`${request}\` | ${params(rest)} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.max} | ${errorCount(r)} |`
    }),
    '',
    '## Resident memory of the service',
    '',
    '| process | max VmRSS sampled, MB | VmHWM (peak), MB |',
    '|---|---:|---:|',
    ...report.memory.map((m) => `| ${m.process} | ${m.rssMb.toFixed(1)} | ${m.peakMb.toFixed(1)} |`),
    '',
    `Ready (spawn to first 200 from /readyz, embedded store, empty): ${report.readyMs.join(', ')} ms.`,
    '',
    ...(report.migration === undefined ? [] : migrationLines(report.migration)),
    ...(report.notes.length === 0 ? [] : ['## Notes', '', ...report.notes.map((n) => `- ${n}`), '']),
    `![throughput, p99 and growth curves](${basename(name)}.svg)`,
    ''
  ]
  return lines.join('\n')
}

/** `met (1.12×)` or `**missed** (0.76×)`: the verdict with the figure it rests on. */
export function resultOf (t: TargetCheck): string {
  return `${t.pass ? 'met' : '**missed**'} (${t.value}${unit(t.unit)})`
}

function unit (u: string): string {
  return u === 'x' ? '×' : u === 'errors' ? '' : ` ${u}`
}

function params (p: Record<string, number | string>): string {
  return Object.entries(p).map(([k, v]) => `${k}=${v}`).join(' ')
}

function migrationLines ({ zerglings, migrateSeconds, documentsPerSecond, during, after }: NonNullable<BenchReport['migration']>): string[] {
  return [
    '## Migration 001 under load (CouchDB)',
    '',
    `${zerglings} zerglings in the original shape (three with 20 000 commands) migrated by \`overmind bootstrap migrate\` in ${migrateSeconds.toFixed(1)} s: **${Math.round(documentsPerSecond)} documents/s**, while one replica took \`"M"\` commands (c=10) on 240 of them.`,
    '',
    '| commands (c=10) | commands | p50 ms | p99 ms | 503s |',
    '|---|---:|---:|---:|---:|',
    `| during the migration | ${during.commands} | ${during.p50} | ${during.p99} | ${during.unavailable} |`,
    `| after it, same zerglings, as long | ${after.commands} | ${after.p50} | ${after.p99} | ${after.unavailable} |`,
    ''
  ]
}
