// `overmind zerglings watch`: every change as it happens. It follows the service's change stream
// (`GET /zerglings/_changes`, text/event-stream) and resumes it after a disconnect from the last
// event's id (Last-Event-ID), so nothing is missed or shown twice; a service that answers that
// path with anything else has no stream, and watch polls the list instead, saying so on stderr.
import { setTimeout as sleep } from 'node:timers/promises'
import { connectionFailure } from '../client/api-client.js'
import { isEventStream, openChanges, readEvents, type EventSourceMessage } from '../client/change-stream.js'
import { CliFailure, EXIT } from '../client/failure.js'
import { changesBetween, snapshotOf, type PolledChange, type Snapshot } from '../client/polled-changes.js'
import { retryAfterMs } from '../client/retry-after.js'
import { listZerglings, type Detail } from '../client/zergling-pages.js'
import { wholeOption, type Verb, type VerbContext } from './verb.js'

/** A zergling's change as the stream carries it: `{"type","zergling":{id,location,…,_rev}}`. */
interface Shown { type: string, zergling: Record<string, unknown> }

const ZERGLING_EVENTS = new Set(['spawned', 'moved', 'deleted'])

const FIRST_RECONNECT_MS = 1000
const MAX_RECONNECT_MS = 30_000

export const watch: Verb = {
  summary: 'print each change as it happens (the live change stream, else polling)',
  synopsis: '[--limit N] [--interval SECONDS]',
  help: `One line per change: event (spawned, moved, deleted), id, x, y, facing, history length.
With --json, each event's JSON, one per line. Runs until Ctrl-C (exit 0) or --limit events.
After a disconnect it reconnects from the last event it printed, trying for --timeout.

options:
  --limit N             stop after N events
  --interval SECONDS    how often to poll, when the service has no change stream (default 2)`,
  options: { limit: { type: 'string' }, interval: { type: 'string' } },
  arity: [0, 0],
  async run (context, values) {
    const limit = wholeOption(values, 'limit', 1, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY)
    const intervalMs = wholeOption(values, 'interval', 1, 3600, 2) * 1000
    const stop = new AbortController()
    const onSignal = (): void => { stop.abort() }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let shown = 0
    const show = (event: Shown): void => {
      if (shown === 0 && !context.out.json) context.out.line(`${'EVENT'.padEnd(8)}  ${'ID'.padEnd(36)}  ${'X'.padStart(6)}  ${'Y'.padStart(6)}  FACING  HISTORY`)
      context.out.line(context.out.json ? JSON.stringify(event) : formatEvent(event))
      if (++shown >= limit) stop.abort()
    }
    try {
      const first = await connect(context, undefined, stop.signal)
      if (first === 'stopped') return
      if (first.kind === 'stream') {
        context.notice('following the change stream: each change from now on, until Ctrl-C')
        await follow(context, first.response, show, stop.signal)
      } else await poll(context, { intervalMs, status: first.status }, show, stop.signal)
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}

type Connected = { kind: 'stream', response: Response } | { kind: 'none', status: number } | 'stopped'

/** Opens the stream, waiting out 503s (Retry-After) and refusals for --timeout; exit 3 after. */
async function connect (context: VerbContext, lastEventId: string | undefined, signal: AbortSignal): Promise<Connected> {
  const deadline = Date.now() + context.timeoutMs
  let delay = FIRST_RECONNECT_MS
  for (;;) {
    let response: Response
    try {
      response = await openChanges(context.baseUrl, { lastEventId, signal, connectTimeoutMs: Math.max(1, deadline - Date.now()) })
    } catch (error) {
      if (signal.aborted) return 'stopped'
      // The first connection fails at once (exit 3); a reconnect keeps trying, as a restart takes a moment.
      if (lastEventId === undefined || Date.now() + delay >= deadline) throw connectionFailure(error, context.baseUrl, context.timeoutMs)
      await sleep(delay, undefined, { signal }).catch(() => {})
      delay = Math.min(delay * 2, MAX_RECONNECT_MS)
      continue
    }
    if (isEventStream(response)) return { kind: 'stream', response }
    await response.body?.cancel()
    if (response.status !== 503) return { kind: 'none', status: response.status }
    const wait = retryAfterMs(response.headers.get('retry-after'))
    if (Date.now() + wait >= deadline) throw new CliFailure(EXIT.answeredError, 'The change stream answered 503 (the service cannot read its store) for longer than --timeout.')
    await sleep(wait, undefined, { signal }).catch(() => {})
    if (signal.aborted) return 'stopped'
  }
}

async function follow (context: VerbContext, opened: Response, show: (event: Shown) => void, signal: AbortSignal): Promise<void> {
  let response = opened
  let lastEventId: string | undefined
  let retryMs = FIRST_RECONNECT_MS
  for (;;) {
    await readEvents(response, (message) => {
      if (signal.aborted) return
      const event = streamed(message)
      if (message.id !== undefined) lastEventId = message.id
      if (typeof event === 'string') context.notice(event)
      else if (event !== undefined) show(event)
    }, (ms) => { retryMs = ms }).catch(() => {})
    if (signal.aborted) return
    context.notice(`the change stream closed; reconnecting in ${retryMs / 1000} s${lastEventId === undefined ? '' : ` from event ${lastEventId}`}`)
    await sleep(retryMs, undefined, { signal }).catch(() => {})
    if (signal.aborted) return
    const next = await connect(context, lastEventId, signal)
    if (next === 'stopped') return
    if (next.kind === 'none') throw new CliFailure(EXIT.answeredError, `The change stream is gone: GET /zerglings/_changes answered ${next.status}.`)
    response = next.response
  }
}

/**
 * A zergling's event to show, or a sentence for stderr (the brain's state, the replica closing or
 * dropping the stream, data that is not what the stream sends), or nothing (`live`, and event
 * names a later service may add).
 */
function streamed (message: EventSourceMessage): Shown | string | undefined {
  let data: unknown
  try { data = JSON.parse(message.data) } catch { data = undefined }
  const fields = typeof data === 'object' && data !== null && !Array.isArray(data) ? data as Record<string, unknown> : undefined
  const type = message.event ?? 'message'
  if (ZERGLING_EVENTS.has(type)) {
    const zergling = fields?.zergling
    if (typeof zergling !== 'object' || zergling === null || Array.isArray(zergling)) return `skipped a ${type} event without a zergling: ${message.data.slice(0, 80)}`
    return { type, zergling: zergling as Record<string, unknown> }
  }
  if (type === 'brain') return fields?.brain === 'ok' ? 'the service can read its store again; the stream carries on from where it was' : 'the service cannot read its store; the stream waits for it and then carries on without a gap'
  if (type === 'closing') return 'the replica serving the stream is shutting down'
  if (type === 'dropped') return 'the service dropped this stream, as it was not read fast enough'
  return undefined
}

async function poll (context: VerbContext, { intervalMs, status }: { intervalMs: number, status: number }, show: (event: Shown) => void, signal: AbortSignal): Promise<void> {
  const take = async (): Promise<Snapshot> => {
    const zerglings = []
    for await (const zergling of listZerglings(context.client())) zerglings.push(zergling)
    return snapshotOf(zerglings)
  }
  let before = await take()
  // Said once the first list is in: what changes after this line is shown.
  context.notice(`the service has no change stream (GET /zerglings/_changes answered ${status}); polling every ${intervalMs / 1000} s instead, which shows spawns, deletes and changes of position or facing, not each command`)
  while (!signal.aborted) {
    await sleep(intervalMs, undefined, { signal }).catch(() => {})
    if (signal.aborted) return
    const after = await take()
    for (const change of changesBetween(before, after)) {
      if (signal.aborted) return
      show(await polledEvent(context, change))
    }
    before = after
  }
}

/** A polled change as the stream would carry it: the zergling's state with its history length and revision. */
async function polledEvent (context: VerbContext, { type, zergling }: PolledChange): Promise<Shown> {
  if (type === 'deleted') return { type, zergling: { id: zergling.id } }
  const answer = await context.client().send({ method: 'GET', path: `/zerglings/${zergling.id}?history=none` }).catch((error: unknown) => {
    if (error instanceof CliFailure && error.answer?.status === 404) return undefined
    throw error
  })
  if (answer === undefined) return { type: 'deleted', zergling: { id: zergling.id } }
  return { type, zergling: { ...(answer.body as { zergling: Detail }).zergling } }
}

function formatEvent ({ type, zergling: data }: Shown): string {
  const location = (data.location ?? {}) as { x?: unknown, y?: unknown }
  const cell = (value: unknown): string => value === undefined ? '-' : String(value)
  return `${type.padEnd(8)}  ${cell(data.id).padEnd(36)}  ${cell(location.x).padStart(6)}  ${cell(location.y).padStart(6)}  ${cell(data.facing).padEnd(6)}  ${cell(data.historyLength)}`.trimEnd()
}
