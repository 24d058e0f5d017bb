// One changes feed per replica, fanned out to every stream client of that replica, so that a
// move made through any replica reaches every replica's clients while CouchDB serves one feed
// per replica, not one per client. One loop does every read, in turn: catch-up reads of clients
// resuming from a position (subscription.ts says how they join without a gap or a duplicate),
// then one read of the feed — a longpoll when nobody is catching up. A batch is turned into SSE
// text once and written to every live client. The feed runs while it has clients; when the store
// fails it tells them (`brain`) and tries again with backoff from the position it had reached,
// so nothing is skipped or sent twice once the store is back.
// https://docs.couchdb.org/en/stable/api/database/changes.html
import { context, ROOT_CONTEXT } from '@opentelemetry/api'
import { isStoreError } from '../store/store-error.js'
import type { ZerglingChangePage, ZerglingStore } from '../store/zergling-store.js'
import { eventFrame } from './sse-frames.js'
import { createSubscription, deliver, joinAt, tookCatchUp, type StreamSink, type Subscription } from './subscription.js'

export interface ChangeFeedOptions {
  /** Rows per read. */
  pageSize?: number
  /** How long one read of the feed waits for a change (CouchDB's longpoll `timeout`). */
  waitMs?: number
  /** After a batch that emptied the feed, the next read waits this long, so that a busy feed writes fewer, larger batches. */
  batchIntervalMs?: number
  /** Catch-up reads between two reads of the feed, so that live clients are not held up. */
  catchUpsPerRound?: number
  retry?: { firstMs: number, maxMs: number }
  /** Named in the `live` event. */
  replica?: string
  /** What a failure tells clients (`{error, reason}`, as the API would answer it). */
  describe?: (error: unknown) => { error: string, reason: string }
}

export interface ChangeFeed {
  /**
   * Adds a client at `since` (`now`, `0`, or an event's id). Resolves once its stream has begun;
   * rejects, having written nothing, when its first read fails (StoreError `invalid_cursor` for
   * a position the store never handed out). The function it resolves with removes the client.
   */
  subscribe (sink: StreamSink, since: string): Promise<() => void>
  readonly clients: number
  /** Stops reading and forgets every client (their streams are the caller's to end). */
  stop (): Promise<void>
}

export function createChangeFeed (store: ZerglingStore, options: ChangeFeedOptions = {}): ChangeFeed {
  const { pageSize = 200, waitMs = 10_000, batchIntervalMs = 50, catchUpsPerRound = 50, retry = { firstMs: 100, maxMs: 5000 }, replica = '' } = options
  const describe = options.describe ?? ((error: unknown) => ({ error: 'brain_unavailable', reason: (error as Error).message }))
  const subscriptions = new Set<Subscription>()
  /** The feed's position: every change up to it has gone to the live clients. */
  let position: string | undefined
  let running: Promise<void> | undefined
  let stopped = false
  let failure: { error: string, reason: string } | undefined
  /** Cuts the current wait short (a longpoll, a pause): a client came or went. */
  let interrupt: AbortController | undefined

  const wake = (): void => { interrupt?.abort() }
  const remove = (subscription: Subscription): void => {
    subscriptions.delete(subscription)
    if (subscriptions.size === 0) wake()
  }
  const read = async (since: string, wait: number, signal?: AbortSignal): Promise<ZerglingChangePage> => {
    const page = await store.changes({ since, limit: pageSize, waitMs: wait, signal })
    recovered()
    return page
  }

  function tellStarted (text: string): void {
    for (const subscription of subscriptions) {
      if (subscription.started === undefined && !subscription.sink.write(text)) remove(subscription)
    }
  }
  function recovered (): void {
    if (failure === undefined) return
    failure = undefined
    tellStarted(eventFrame('brain', { brain: 'ok' }))
  }
  function failed (error: unknown): void {
    // Clients whose stream has not begun are answered with the error instead (a 503).
    for (const subscription of [...subscriptions]) {
      if (subscription.started === undefined) continue
      subscription.started.reject(error)
      subscriptions.delete(subscription)
    }
    const told = describe(error)
    if (failure?.reason === told.reason) return
    failure = told
    tellStarted(eventFrame('brain', { brain: 'unavailable', ...told }))
  }

  async function catchUp (): Promise<void> {
    let reads = 0
    for (const subscription of [...subscriptions]) {
      if (stopped || reads >= catchUpsPerRound) return
      if (subscription.state !== 'catching_up' || !subscriptions.has(subscription) || !subscription.sink.hasRoom()) continue
      reads++
      let page: ZerglingChangePage
      try {
        page = await read(subscription.position, 0)
      } catch (error) {
        // A position the store never handed out is this client's problem, not the feed's.
        if (!isStoreError(error, 'invalid_cursor') || subscription.started === undefined) throw error
        subscription.started.reject(error)
        subscriptions.delete(subscription)
        continue
      }
      if (subscriptions.has(subscription) && !tookCatchUp(subscription, page, replica)) remove(subscription)
    }
  }

  async function pause (ms: number): Promise<void> {
    const controller = new AbortController()
    interrupt = controller
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      controller.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
    })
  }

  async function readFeed (): Promise<void> {
    const catching = [...subscriptions].filter((subscription) => subscription.state === 'catching_up')
    // Nobody to catch up: wait for a change. A client that has no room yet is looked at again soon.
    const wait = catching.length === 0 ? waitMs : catching.some(({ sink }) => sink.hasRoom()) ? 0 : 250
    const controller = new AbortController()
    interrupt = controller
    const page = await read(position!, wait, controller.signal)
    // Given up (someone came or went): nothing was read, the position stays.
    if (controller.signal.aborted && page.changes.length === 0) return
    for (const subscription of deliver(subscriptions, page)) remove(subscription)
    position = page.lastSeq
    // More waiting (a full page): read on at once; else let the next batch gather.
    if (page.complete && page.changes.length > 0 && batchIntervalMs > 0) await pause(batchIntervalMs)
  }

  async function loop (): Promise<void> {
    let delay = retry.firstMs
    // `stopped` and the clients change while this awaits, hence the test at the top of each round.
    for (;;) {
      if (stopped || subscriptions.size === 0) break
      try {
        position ??= (await read('now', 0)).lastSeq
        for (const subscription of [...subscriptions]) {
          if (subscription.state === 'waiting_for_now' && !joinAt(subscription, position, replica)) remove(subscription)
        }
        await catchUp()
        if (stopped || subscriptions.size === 0) break
        await readFeed()
        delay = retry.firstMs
      } catch (error) {
        if (stopped) break
        failed(error)
        await pause(delay * (0.5 + Math.random() / 2))
        delay = Math.min(delay * 2, retry.maxMs)
      }
    }
    // Without clients the position goes stale: the next `now` is read again.
    position = undefined
    running = undefined
  }

  return {
    get clients () { return subscriptions.size },
    async subscribe (sink, since) {
      if (stopped) throw new Error('the change feed is stopped')
      const { subscription, started } = createSubscription(sink, since)
      subscriptions.add(subscription)
      if (subscription.state === 'waiting_for_now' && position !== undefined) {
        joinAt(subscription, position, replica)
        if (failure !== undefined) sink.write(eventFrame('brain', { brain: 'unavailable', ...failure }))
      } else {
        wake()
      }
      // The feed is the replica's, not the first client's: its reads are in no request's trace.
      running ??= context.with(ROOT_CONTEXT, loop)
      await started
      return () => { remove(subscription) }
    },
    async stop () {
      stopped = true
      for (const subscription of subscriptions) subscription.started?.reject(new Error('the change feed stopped'))
      subscriptions.clear()
      wake()
      await running
    }
  }
}
