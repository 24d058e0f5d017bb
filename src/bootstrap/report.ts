// The report for people (one line per step) and for machines (one JSON document).
import type { BootstrapReport, StepReport } from './types.js'

export function formatStep (step: StepReport, dryRun: boolean): string {
  const status = dryRun && (step.status === 'created' || step.status === 'updated') ? `would be ${step.status}` : step.status
  return `${step.name.padEnd(16)} ${status.padEnd(16)} ${step.message}`
}

export function formatSummary (report: BootstrapReport): string {
  const counts = new Map<string, number>()
  for (const step of report.steps) counts.set(step.status, (counts.get(step.status) ?? 0) + 1)
  const tally = [...counts].map(([status, count]) => `${count} ${status}`).join(', ')
  const verdict = report.ok ? (report.dryRun ? 'dry run, nothing written' : 'done') : 'FAILED'
  return `bootstrap ${verdict}: ${tally} (CouchDB ${report.couchdbVersion ?? 'version unknown'} at ${report.url})`
}

export function formatReport (report: BootstrapReport): string {
  return [...report.steps.map((step) => formatStep(step, report.dryRun)), formatSummary(report)].join('\n')
}

export function reportJson (report: BootstrapReport): string {
  return JSON.stringify(report)
}
