// A client of `GET /zerglings/_changes` for tests, over fetch: the events as they arrive, a wait
// for one that matches, and a clean close. What EventSource does on a reconnect (Last-Event-ID)
// is done by hand with `headers`.
import assert from 'node:assert/strict'
import { parseEvents, type SseEvent } from './sse-events.js'

export interface SseClient {
  status: number
  headers: Headers
  /** Every event so far (comments skipped). */
  readonly events: SseEvent[]
  /** Every byte of text so far. */
  readonly text: string
  /** The id of the last event that had one: what EventSource would send as Last-Event-ID. */
  lastId (): string | undefined
  /** Resolves with the first event from `from` on that matches; fails after `ms`. */
  waitFor (what: string, matches: (event: SseEvent) => boolean, ms?: number, from?: number): Promise<SseEvent>
  /** Resolves when the server ended the stream. */
  ended: Promise<void>
  close (): void
}

export async function openStream (url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const controller = new AbortController()
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
  let text = ''
  /** Where the text not yet parsed into events starts. */
  let parsed = 0
  const events: SseEvent[] = []
  const listeners = new Set<() => void>()
  const ended = (async () => {
    if (response.body === null) return
    const decoder = new TextDecoder()
    try {
      const reader = response.body.getReader()
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        text += decoder.decode(chunk.value, { stream: true })
        // Only complete blocks: the text may end in the middle of one.
        const end = text.lastIndexOf('\n\n') + 2
        if (end > parsed) {
          events.push(...parseEvents(text.slice(parsed, end)))
          parsed = end
        }
        for (const listener of listeners) listener()
      }
    } catch {
      // Aborted by close(), or the connection was cut: the stream is over either way.
    }
    for (const listener of listeners) listener()
  })()
  const client: SseClient = {
    status: response.status,
    headers: response.headers,
    get events () { return events },
    get text () { return text },
    lastId: () => events.filter(({ id }) => id !== undefined).at(-1)?.id,
    ended,
    async waitFor (what, matches, ms = 10_000, from = 0) {
      const found = (): SseEvent | undefined => events.slice(from).find(matches)
      const event = found() ?? await new Promise<SseEvent | undefined>((resolve) => {
        const timer = setTimeout(() => { listeners.delete(check); resolve(undefined) }, ms)
        const check = (): void => {
          const hit = found()
          if (hit === undefined) return
          clearTimeout(timer)
          listeners.delete(check)
          resolve(hit)
        }
        listeners.add(check)
      })
      if (event === undefined) assert.fail(`no ${what} within ${ms} ms; got: ${events.map((e) => e.event).join(', ')}`)
      return event
    },
    close () { controller.abort() }
  }
  return client
}

/** `[zergling id, revision generation]` of each zergling event, in order. */
export function statesOf (events: readonly SseEvent[]): Array<[string, number]> {
  return events.flatMap(({ event, data }) => {
    if (!['spawned', 'moved', 'deleted'].includes(event)) return []
    const { zergling } = data as { zergling: { id: string, _rev: string } }
    return [[zergling.id, Number.parseInt(zergling._rev, 10)] as [string, number]]
  })
}
