// The double's side of ./latency-model.ts: a processor-sharing queue. Every request in it makes
// progress at the rate its curve gives for the number of requests in it *now*, and leaves when
// its work is done; so with N clients each waiting for its answer before sending again, each
// request takes its curve's time at N, whatever order they arrived in, and a burst that thins out
// speeds up as it does. A request stays in the queue at least until the double has its answer
// (its rows are part of its cost). One timer, for the next request due.
import { modelledMs, type LatencyModel, type RequestKind } from './latency-model.js'

export interface Modelled {
  /** The double has the answer, with this many rows (`_all_docs` costs more per row). */
  answered (rows: number): void
  /** Resolves once answered and the modelled time has passed. */
  readonly done: Promise<void>
}

export interface LatencyQueue {
  admit (kind: RequestKind): Modelled
  /** The most requests that were in the queue at once since the last resetDeepest(). */
  readonly deepest: number
  resetDeepest (): void
}

interface Job {
  kind: RequestKind
  rows: number
  /** Fraction of its modelled time served so far. */
  progress: number
  answered: boolean
  finish: () => void
}

/**
 * Node's timers count whole milliseconds and fire up to one late, so a timer is set for the
 * whole milliseconds left and a request leaves once at most this is left: on average it leaves
 * about on time (up to a millisecond early or late) instead of about a millisecond late.
 */
const SLACK_MS = 1

export function createLatencyQueue (model: LatencyModel): LatencyQueue {
  for (const curve of [...Object.values(model.curves), model.allDocsPerRow]) {
    if (!curve.every((ms) => ms > 0)) throw new Error(`a latency curve takes milliseconds above 0 at every point, not ${curve.join(', ')}`)
  }
  const jobs = new Set<Job>()
  let deepest = 0
  let last = performance.now()
  let timer: NodeJS.Timeout | undefined
  const msFor = (job: Job): number => modelledMs(model, job.kind, jobs.size, job.rows)
  const remainingMs = (job: Job): number => (1 - job.progress) * msFor(job)

  /** Credits every job with the time since the last change, at the rate the current depth gives. */
  function advance (): void {
    const now = performance.now()
    for (const job of jobs) job.progress += (now - last) / msFor(job)
    last = now
  }

  function settle (): void {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    for (;;) {
      const finished = [...jobs].filter((job) => job.answered && remainingMs(job) <= SLACK_MS)
      if (finished.length === 0) break
      // Each leaving job speeds up the others; look again at the new depth.
      for (const job of finished) {
        jobs.delete(job)
        job.finish()
      }
    }
    const waiting = [...jobs].filter((job) => job.answered)
    if (waiting.length === 0) return
    const next = Math.min(...waiting.map(remainingMs))
    timer = setTimeout(() => { advance(); settle() }, Math.floor(next))
  }

  return {
    admit (kind) {
      advance()
      let finish = (): void => {}
      const done = new Promise<void>((resolve) => { finish = resolve })
      const job: Job = { kind, rows: 0, progress: 0, answered: false, finish }
      jobs.add(job)
      deepest = Math.max(deepest, jobs.size)
      settle()
      return {
        answered (rows) {
          advance()
          // The time served so far was counted against the cost without rows: as a fraction of the whole, it is less.
          const before = msFor(job)
          job.rows = rows
          job.progress *= before / msFor(job)
          job.answered = true
          settle()
        },
        done
      }
    },
    get deepest () { return deepest },
    resetDeepest () { deepest = jobs.size }
  }
}
