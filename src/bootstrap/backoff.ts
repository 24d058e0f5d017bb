// Exponential backoff with "equal jitter": the n-th delay is drawn from [ceiling/2, ceiling), the
// ceiling doubling from `baseMs` up to `maxMs`. Half of it is random so that three replicas that
// started together spread out; half is fixed so that a delay never collapses to zero and hammers
// a CouchDB that is starting (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).

export interface BackoffPolicy {
  baseMs: number
  maxMs: number
}

export const WAIT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5000 }

/** Delay before retry number `retry` (1-based); `random` returns [0, 1). */
export function backoffDelay (policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(retry - 1, 30))
  return Math.floor(ceiling / 2 + random() * (ceiling / 2))
}

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Calls `attempt` until it returns something other than undefined, or `timeoutMs` passes (then
 * returns undefined). Never sleeps past the deadline.
 */
export async function poll<T> (
  attempt: (remainingMs: number) => Promise<T | undefined>,
  options: { timeoutMs: number, policy: BackoffPolicy, sleep?: (ms: number) => Promise<void>, random?: () => number, now?: () => number }
): Promise<{ value: T | undefined, attempts: number }> {
  const now = options.now ?? Date.now
  const deadline = now() + options.timeoutMs
  for (let attempts = 1; ; attempts++) {
    const value = await attempt(Math.max(1, deadline - now()))
    if (value !== undefined) return { value, attempts }
    const remaining = deadline - now()
    if (remaining <= 0) return { value: undefined, attempts }
    await (options.sleep ?? sleep)(Math.min(remaining, backoffDelay(options.policy, attempts, options.random)))
  }
}
