// The client end of the service's change stream, `GET /zerglings/_changes` as Server-Sent Events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html): each event's `id:` is a
// position to resume from, sent back as `Last-Event-ID` on a reconnect, and `retry:` how long to
// wait before one. Parsing is eventsource-parser's; when to reconnect is watch's.
import { createParser, type EventSourceMessage } from 'eventsource-parser'

export type { EventSourceMessage }

export interface OpenOptions {
  /** Resume after this event (`Last-Event-ID`); without it the stream starts live (`since=now`). */
  lastEventId?: string
  /** Ends the stream (the user pressed Ctrl-C, enough events came). */
  signal: AbortSignal
  /** How long to wait for the answer's headers; the stream itself may then stay open for hours. */
  connectTimeoutMs: number
}

export async function openChanges (baseUrl: string, { lastEventId, signal, connectTimeoutMs }: OpenOptions): Promise<Response> {
  const connecting = new AbortController()
  const timer = setTimeout(() => { connecting.abort(new DOMException('no answer in time', 'TimeoutError')) }, connectTimeoutMs)
  const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' }
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
  try {
    return await fetch(`${baseUrl}/zerglings/_changes${lastEventId === undefined ? '?since=now' : ''}`, { headers, signal: AbortSignal.any([signal, connecting.signal]) })
  } catch (error) {
    throw connecting.signal.aborted ? connecting.signal.reason : error
  } finally {
    clearTimeout(timer)
  }
}

export function isEventStream (response: Response): boolean {
  return response.ok && (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream')
}

/** Feeds every event of the body to `onEvent` until the body ends (or throws when cut or aborted). */
export async function readEvents (response: Response, onEvent: (event: EventSourceMessage) => void, onRetry: (ms: number) => void): Promise<void> {
  const parser = createParser({ onEvent, onRetry })
  const body = response.body
  if (body === null) return
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    parser.feed(value)
  }
}
