// Group commit: commands that arrive for the same zergling while a write for it is in flight
// wait, then go together in the next write. Within one process this turns N concurrent writers
// on a hot zergling into one writer (no revision race at all), and across replicas into one
// writer per replica. Each request still gets its own result.
//
// Each batch runs in the trace context of its first request (OpenTelemetry's, an
// AsyncLocalStorage when tracing is on; a constant when off): the drain loop runs in whichever
// request started it, and would otherwise put later requests' CouchDB calls into that one's trace.
import { context, type Context } from '@opentelemetry/api'

export interface Batcher<Request, Result> {
  submit (id: string, request: Request): Promise<Result>
}

export interface Pending<Request, Result> {
  request: Request
  resolve: (result: Result) => void
  reject: (error: unknown) => void
  /** The trace context the request was submitted in. */
  context: Context
}

/**
 * `flush` applies one batch for one id and settles every pending request in it (it must not
 * throw). `take` picks how many of the waiting requests go into the next batch (at least one).
 */
export function createBatcher<Request, Result> (
  flush: (id: string, batch: Array<Pending<Request, Result>>) => Promise<void>,
  take: (waiting: ReadonlyArray<Pending<Request, Result>>) => number
): Batcher<Request, Result> {
  const waiting = new Map<string, Array<Pending<Request, Result>>>()

  async function drain (id: string): Promise<void> {
    for (;;) {
      const queue = waiting.get(id)
      if (queue === undefined || queue.length === 0) {
        waiting.delete(id)
        return
      }
      const batch = queue.splice(0, Math.max(1, take(queue)))
      await context.with(batch[0]!.context, async () => { await flush(id, batch) })
    }
  }

  return {
    async submit (id, request) {
      return await new Promise<Result>((resolve, reject) => {
        const pending = { request, resolve, reject, context: context.active() }
        const queue = waiting.get(id)
        if (queue !== undefined) {
          queue.push(pending)
          return
        }
        // No queue means no drain running for this id: start one.
        waiting.set(id, [pending])
        drain(id).catch((error: unknown) => {
          for (const pending of waiting.get(id) ?? []) pending.reject(error)
          waiting.delete(id)
        })
      })
    }
  }
}
