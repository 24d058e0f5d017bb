// The chaos ledger: what every reliability test sent and what became of it, per test file.
// Node's runner runs each file in its own process, so each file writes its figures to
// $CHAOS_LEDGER_DIR/<file>.json on exit, and scripts/chaos-report.mjs adds them up into the
// table `npm run test:chaos` ends with. Without CHAOS_LEDGER_DIR (plain `npm test`) nothing is written.
import { writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

export interface LedgerFigures {
  /** Requests sent to overmind (every attempt, reads included). */
  sent: number
  /** Of those, answered 2xx. */
  acknowledged: number
  /** Commands answered 2xx that are not in the history. */
  lost: number
  /** Commands in the history more often than once. */
  appliedTwice: number
  /** Commands answered with an error (and never acknowledged) that are in the history anyway. */
  appliedDespiteError: number
  /** Answers 500–599 other than 503, and answers that never came (connection reset mid-request). */
  serverErrors: number
  /** Responses and log lines that carry the sentinel password or its Basic token. */
  secretHits: number
}

const figures: LedgerFigures = { sent: 0, acknowledged: 0, lost: 0, appliedTwice: 0, appliedDespiteError: 0, serverErrors: 0, secretHits: 0 }

export const ledger = {
  figures,
  add (delta: Partial<LedgerFigures>): void {
    for (const [key, value] of Object.entries(delta) as Array<[keyof LedgerFigures, number]>) figures[key] += value
  }
}

let registeredFor: string | undefined

/** Called once per test file with its import.meta.url: the figures are written when it exits. */
export function recordLedgerFor (fileUrl: string): void {
  const dir = process.env.CHAOS_LEDGER_DIR
  if (dir === undefined || dir === '' || registeredFor !== undefined) return
  registeredFor = basename(new URL(fileUrl).pathname).replace(/\.test\.ts$/, '')
  const path = join(dir, `${registeredFor}.json`)
  process.once('exit', () => {
    writeFileSync(path, JSON.stringify({ file: registeredFor, ...figures }) + '\n')
  })
}
