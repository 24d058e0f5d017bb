// Reading server-sent events back, for tests: a sink that records what the feed wrote, and a
// parser of `text/event-stream` text (blocks separated by a blank line; comments skipped).
import type { StreamSink } from '../../../src/stream/subscription.js'

export interface SseEvent {
  id?: string
  event: string
  data: unknown
}

export function parseEvents (text: string): SseEvent[] {
  const events: SseEvent[] = []
  for (const block of text.split('\n\n')) {
    let id: string | undefined
    let event = 'message'
    let data: string | undefined
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) id = line.slice(4)
      else if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('data: ')) data = line.slice(6)
    }
    if (data !== undefined) events.push({ ...(id === undefined ? {} : { id }), event, data: JSON.parse(data) })
  }
  return events
}

/** Events with a zergling in them (spawned, moved, deleted): `[id, generation, position]`. */
export function zerglingStates (events: readonly SseEvent[]): Array<[string, number, number]> {
  return events.flatMap(({ id, event, data }) => ['spawned', 'moved', 'deleted'].includes(event)
    ? [[(data as { zergling: { id: string } }).zergling.id, Number.parseInt((data as { zergling: { _rev: string } }).zergling._rev, 10), Number(id)]]
    : [])
}

export interface RecordingSink {
  sink: StreamSink
  events (): SseEvent[]
  /** The client goes away: later writes fail. */
  close (): void
  /** Stops or resumes taking catch-up pages (a client that reads slowly). */
  setRoom (room: boolean): void
}

export function recordingSink (): RecordingSink {
  let text = ''
  let open = true
  let room = true
  return {
    sink: {
      write (chunk) {
        if (!open) return false
        text += chunk
        return true
      },
      hasRoom: () => open && room
    },
    events: () => parseEvents(text),
    close () { open = false },
    setRoom (value) { room = value }
  }
}
