// The whole run as one value: what latest.json holds and what the table and the chart are drawn from.
import type { BenchPlan } from '../support/context.js'
import type { LoadResult } from '../support/result.js'
import type { MemoryRecord } from '../support/rss.js'
import type { StreamBenchResult } from '../scenarios/stream.js'
import type { MigrationBenchResult } from '../scenarios/migration.js'

export interface Machine {
  cpu: string
  cores: number
  memoryGb: number
  node: string
  platform: string
}

export interface TargetCheck {
  name: string
  /** How the value was computed, in words and figures. */
  formula: string
  value: number
  /** `value >= limit` or `value <= limit` passes. */
  comparison: '>=' | '<='
  limit: number
  unit: 'x' | 'MB' | 'ms' | 'errors' | 'events'
  pass: boolean
}

export interface BenchReport {
  startedAt: string
  durationS: number
  plan: BenchPlan
  machine: Machine
  /** The commit the service was built from, and whether the working tree had changes. */
  git: { commit: string, dirty: boolean, ref?: string }
  couchdb: 'double' | 'real'
  results: LoadResult[]
  memory: MemoryRecord[]
  readyMs: number[]
  /** The change stream under 1000 clients (embedded), when the service has one. */
  stream?: StreamBenchResult
  /** Migration 001 on CouchDB under a command load, when the service has it. */
  migration?: MigrationBenchResult
  targets: TargetCheck[]
  notes: string[]
}
