// A circuit breaker for one CouchDB: when it stops answering (a partition, a frozen node) calls
// would each wait the full timeout, and requests would pile up behind them. After THRESHOLD
// calls in a row hit their deadline it opens: calls fail at once. After a cool-down one probe
// is let through (half-open): an answer closes it, anything else opens it again.
// A refused connection is not counted: it already fails fast, and counting it would only delay
// recovery from a CouchDB restart by a cool-down.
// https://martinfowler.com/bliki/CircuitBreaker.html

/** How a call to CouchDB ended, as far as the breaker cares. */
export type CallOutcome =
  /** An HTTP answer came back, whatever its status: CouchDB is there. */
  | 'answered'
  /** Our deadline fired before an answer came. */
  | 'timed_out'
  /** The connection failed or broke (refused, reset, cut off). */
  | 'unreachable'

export type BreakerState = 'closed' | 'open' | 'half_open'

/** What a call may do now: go ahead, go ahead as the one probe, or fail at once. */
export type Admission = 'pass' | 'probe' | 'refuse'

export interface BreakerPolicy {
  /** Consecutive timed-out calls that open the breaker. */
  threshold: number
  /** How long it stays open before one probe is let through. */
  coolDownMs: number
}

export const COUCH_BREAKER: BreakerPolicy = { threshold: 3, coolDownMs: 2000 }

export interface CircuitBreaker {
  readonly state: BreakerState
  admit (): Admission
  /** A call admitted with `pass` ended; ignored unless the breaker is closed. */
  record (outcome: CallOutcome): void
  /** The call admitted with `probe` ended. */
  settleProbe (outcome: CallOutcome): void
  /** Called each time the breaker opens (to give up the calls still waiting). */
  onOpen (listener: () => void): void
}

export function createCircuitBreaker (policy: BreakerPolicy = COUCH_BREAKER, now: () => number = Date.now): CircuitBreaker {
  let state: BreakerState = 'closed'
  let timeouts = 0
  let openedAt = 0
  const listeners: Array<() => void> = []

  function open (): void {
    state = 'open'
    openedAt = now()
    timeouts = 0
    for (const listener of listeners) listener()
  }

  return {
    get state () { return state },
    admit () {
      if (state === 'closed') return 'pass'
      if (state === 'open' && now() - openedAt >= policy.coolDownMs) {
        state = 'half_open'
        return 'probe'
      }
      return 'refuse'
    },
    record (outcome) {
      if (state !== 'closed' || outcome === 'unreachable') return
      if (outcome === 'answered') {
        timeouts = 0
      } else if (++timeouts >= policy.threshold) {
        open()
      }
    },
    settleProbe (outcome) {
      if (state !== 'half_open') return
      if (outcome === 'answered') {
        state = 'closed'
      } else {
        open()
      }
    },
    onOpen (listener) { listeners.push(listener) }
  }
}
