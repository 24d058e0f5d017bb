// The freeze knob of one listener, for partition tests: while frozen, requests are read but wait
// here unanswered; thaw lets them through one at a time in arrival order, each finishing (its
// write taking effect) before the next starts, then opens again. A client that gave up meanwhile
// never sees its answer, but its write still happens ("late writes").
export interface FreezeGate {
  freeze (): void
  thaw (): void
  /** Waits for this request's turn; call the returned function once it has been handled. undefined = dropped (close). */
  enter (): Promise<(() => void) | undefined>
  /** Forgets the waiting requests without handling them (the double is closing). */
  drop (): void
}

type Waiting = (leave: (() => void) | undefined) => void

export function createFreezeGate (): FreezeGate {
  let mode: 'open' | 'frozen' | 'draining' = 'open'
  const queue: Waiting[] = []
  /** A released request is being handled: the next one waits for it. */
  let busy = false
  const noop = (): void => {}
  const handled = (): void => {
    busy = false
    releaseNext()
  }

  /** Lets the next waiting request through once the one before has been handled; freeze() stops it. */
  function releaseNext (): void {
    if (mode !== 'draining' || busy) return
    const next = queue.shift()
    if (next === undefined) {
      mode = 'open'
      return
    }
    busy = true
    next(handled)
  }

  return {
    freeze () { mode = 'frozen' },
    thaw () {
      if (mode !== 'frozen') return
      mode = 'draining'
      releaseNext()
    },
    async enter () {
      // Requests that arrive while the queue drains wait behind it, so arrival order holds.
      if (mode === 'open') return noop
      return await new Promise<(() => void) | undefined>((resolve) => queue.push(resolve))
    },
    drop () {
      for (const waiting of queue.splice(0)) waiting(undefined)
      mode = 'open'
      busy = false
    },
  }
}
