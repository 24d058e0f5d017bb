// Server-sent events as text (https://html.spec.whatwg.org/multipage/server-sent-events.html):
// `id:` is the position a reconnecting EventSource sends back as Last-Event-ID, `event:` names
// the event, `data:` is one line of JSON (JSON.stringify escapes every newline). A line starting
// with `:` is a comment: the heartbeat that keeps proxies from closing an idle stream.
import type { ZerglingChange } from '../store/zergling-store.js'

export function eventFrame (event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** The zergling as the API shows it (`_rev`, not the store's `rev`): the state after the change. */
export function changeFrame ({ type, seq, zergling }: ZerglingChange): string {
  if (type === 'deleted') return eventFrame(type, { type, zergling: { id: zergling.id, _rev: zergling.rev } }, seq)
  const { id, location, facing, historyLength, commandHistory, rev } = zergling
  return eventFrame(type, { type, zergling: { id, location, facing, historyLength, commandHistory, _rev: rev } }, seq)
}

export function changeFrames (changes: readonly ZerglingChange[]): string {
  let text = ''
  for (const change of changes) text += changeFrame(change)
  return text
}

/** How long an EventSource waits before it reconnects, in ms (the `retry:` field). */
export function retryFrame (ms: number): string {
  return `retry: ${ms}\n\n`
}

export const HEARTBEAT = ':\n\n'
