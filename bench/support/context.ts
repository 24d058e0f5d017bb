// What every scenario needs from the run: how long and how hard to push, where to put files,
// the compiled service, and how to say what is happening.
import type { BareFastify } from '../baselines/bare-fastify.js'
import type { CouchServer } from './couch.js'
import type { DocumentFactory } from './seed.js'

export interface BenchPlan {
  quick: boolean
  /** Concurrent connections (or loop workers) per throughput scenario. */
  concurrencies: number[]
  warmupS: number
  durationS: number
  /** Zerglings in the database for the two list measurements (small, large). */
  listSizes: [number, number]
  /** History lengths for command latency; the first and the last are compared. */
  historyLengths: number[]
  /** Commands measured per history length and query (one connection), over all rounds. */
  historyRequests: number
  /** Rounds the history commands are sent in, each visiting every length and query. */
  historyRounds: number
  /** OVERMIND_LOG_LEVEL of the service under test. */
  logLevel: string
  /** How many times start-up to ready is timed. */
  readyRuns: number
  /** Figures no target needs (raw-store reads, the plain client with a cookie): full runs only. */
  extras: boolean
}

export interface BenchContext {
  plan: BenchPlan
  /** Scratch space for data directories and logs (git-ignored, removed at the end). */
  tmpDir: string
  /** `dist/cli/main.js` of the freshly compiled service. */
  serviceMain: string
  /** The NODE_OPTIONS its image sets (its Dockerfile's ENV), so that it runs as shipped. */
  nodeOptions: string
  documents: DocumentFactory
  couch: CouchServer
  log: (message: string) => void
  /** The bare Fastify ceiling, running for the whole bench (its GET alternates with the service's). */
  ceiling?: BareFastify
}

export const FULL_PLAN: BenchPlan = {
  quick: false,
  concurrencies: [10, 50],
  warmupS: 2,
  durationS: 6,
  listSizes: [1_000, 100_000],
  historyLengths: [1, 10_000, 100_000],
  historyRequests: 2000,
  historyRounds: 4,
  logLevel: 'warn',
  readyRuns: 7,
  extras: true
}

/** Under a minute: one concurrency, short runs, small databases; the same outputs. */
export const QUICK_PLAN: BenchPlan = {
  quick: true,
  concurrencies: [10],
  warmupS: 0.3,
  durationS: 1.2,
  listSizes: [1_000, 5_000],
  historyLengths: [1, 10_000],
  historyRequests: 100,
  historyRounds: 2,
  logLevel: 'warn',
  readyRuns: 1,
  extras: false
}
