// Read-modify-write needs a loop: when another writer (another replica) wins the revision race,
// CouchDB and PouchDB answer 409 and the attempt is redone from a fresh read. Delays grow
// exponentially with "full jitter" so that writers that collided once spread out instead of
// colliding again (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
// The loop is bounded: after the last attempt the caller gets StoreError `conflict`, never a
// false success.
import { isStoreError, StoreError } from './store-error.js'

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  attempts: number
  /** Upper bound of the first delay; doubles per retry. */
  baseDelayMs: number
  /** No single delay is longer than this. */
  maxDelayMs: number
}

/** 10 attempts, 10 ms doubling to at most 300 ms: at worst about 1.5 s of waiting in all. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 10, baseDelayMs: 10, maxDelayMs: 300 }

export interface RetryHooks {
  /** Returns [0, 1); tests pass a fixed one. */
  random?: () => number
  sleep?: (ms: number) => Promise<void>
  /** Called before each retry, with its number (1 = the first retry) and the delay before it (the metric, the trace). */
  onRetry?: (retry: number, delayMs: number) => void
}

/** Upper bound of the delay before retry number `retry` (1-based). */
export function backoffCeiling (policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
}

/**
 * Runs `attempt` until it does not throw StoreError `conflict`. Every other error (a DomainError
 * from the caller's change, `not_found`, `unavailable`) propagates at once.
 */
export async function retryOnConflict<T> (
  attempt: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  { random = Math.random, sleep = defaultSleep, onRetry }: RetryHooks = {}
): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt()
    } catch (error) {
      if (!isStoreError(error, 'conflict')) throw error
      if (tried >= policy.attempts) {
        throw new StoreError('conflict', `The zergling kept changing under this command (${tried} attempts lost the race to other writers); nothing was applied, try again.`)
      }
    }
    const delayMs = Math.floor(random() * backoffCeiling(policy, tried))
    onRetry?.(tried, delayMs)
    await sleep(delayMs)
  }
}

async function defaultSleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
