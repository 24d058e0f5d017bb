// @ts-check
// The live change stream (GET /zerglings/_changes) as callbacks. An EventSource reconnects by
// itself after the server ends a stream (`closing`, `dropped`), sending Last-Event-ID; when the
// server refuses one (503 while the brain or the replica is away) it gives up, so this opens a
// new one with backoff from the last position it had, and from the start (`0`) after three
// refusals in a row (the position may be unknown to a new database).

/** @typedef {import('./swarm.js').ZerglingState} ZerglingState */
/**
 * @typedef {object} StreamHooks
 * @property {(zergling: ZerglingState) => void} onState
 * @property {(id: string, rev: string) => void} onDelete
 * @property {(replica: string) => void} onLive
 * @property {(brain: { brain: 'ok' | 'unavailable', reason?: string }) => void} onBrain
 * @property {(state: 'reconnecting' | 'refused') => void} onTrouble
 * @property {() => void} onRestart every zergling will come again: forget what is known
 */

/** @param {StreamHooks} hooks */
export function followChanges (hooks) {
  /** @type {string | undefined} */
  let position
  let refusals = 0

  /** @param {MessageEvent} event */
  const data = (event) => {
    if (event.lastEventId !== '') position = event.lastEventId
    return JSON.parse(event.data)
  }

  const open = () => {
    const restarting = position === undefined
    const source = new EventSource(`/zerglings/_changes?since=${encodeURIComponent(position ?? '0')}`)
    // Only once the new stream is there: until then the map keeps the last positions it knew.
    source.addEventListener('open', () => { if (restarting) hooks.onRestart() })
    for (const type of ['spawned', 'moved']) source.addEventListener(type, (event) => { hooks.onState(data(event).zergling) })
    source.addEventListener('deleted', (event) => {
      const { zergling } = data(event)
      hooks.onDelete(zergling.id, zergling._rev)
    })
    source.addEventListener('live', (event) => {
      refusals = 0
      hooks.onLive(data(event).replica)
    })
    source.addEventListener('brain', (event) => { hooks.onBrain(data(event)) })
    for (const type of ['closing', 'dropped']) source.addEventListener(type, () => { hooks.onTrouble('reconnecting') })
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CONNECTING) {
        hooks.onTrouble('reconnecting')
        return
      }
      source.close()
      refusals++
      if (refusals >= 3) position = undefined
      hooks.onTrouble('refused')
      setTimeout(open, Math.min(500 * 2 ** refusals, 15000))
    })
  }
  open()
}
