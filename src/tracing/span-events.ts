// What the store does for a request, as events on the request's span (request-tracing.ts): the
// conflict retries and the group-commit batches. Through @opentelemetry/api alone, so with
// tracing off each call finds no span and returns (the API's no-op context).
import { trace, type Context } from '@opentelemetry/api'

/** A write lost the revision race and is tried again (retry-on-conflict.ts), after `delayMs`. */
export function recordConflictRetry (retry: number, delayMs: number): void {
  trace.getActiveSpan()?.addEvent('overmind.conflict_retry', { 'overmind.retry': retry, 'overmind.retry.delay_ms': delayMs, 'overmind.retry.reason': 'revision_race' })
}

/**
 * A write started on the revision this replica remembered and got a 409: another writer moved
 * the zergling since, so it is read and written again at once (command-flush.ts).
 */
export function recordStaleRevision (): void {
  trace.getActiveSpan()?.addEvent('overmind.conflict_retry', { 'overmind.retry': 0, 'overmind.retry.delay_ms': 0, 'overmind.retry.reason': 'remembered_revision' })
}

/**
 * One group-commit batch (command-batcher.ts), told to every request in it: `position` 0 is the
 * request whose trace holds the batch's CouchDB calls; the others' commands rode along in them.
 */
export function recordGroupCommit (batch: ReadonlyArray<{ context: Context, request: { commands: readonly unknown[] } }>): void {
  // Off, no request has a span: the usual case costs one look-up.
  if (trace.getSpan(batch[0]!.context) === undefined) return
  const commands = batch.reduce((sum, pending) => sum + pending.request.commands.length, 0)
  batch.forEach(({ context }, position) => {
    trace.getSpan(context)?.addEvent('overmind.group_commit', { 'overmind.batch.size': batch.length, 'overmind.batch.commands': commands, 'overmind.batch.position': position })
  })
}
