// The stream scenario's SSE clients, in a process of their own (forked by stream.ts): reading
// 1000 sockets in the process that also sends the measured commands slowed those commands down
// by the bench's own event loop, not the service's (the service's profile under that load was
// two-thirds idle). Here the clients compete only for the machine's cores, as clients on other
// machines would compete for the network. Times are absolute (timeOrigin + now) so that the
// parent can compare them with when its commands were answered.
//
// Protocol over IPC: argv = baseUrl, clients, sampleEvery; sends `{ type: 'ready' }` once every
// client is live; on `{ type: 'report' }` answers `{ type: 'arrivals', clients }` (per sampled
// client: [zergling id, [revision generation, arrived at][]][]) and exits.
import { request, type IncomingMessage } from 'node:http'

type Arrivals = Map<string, Array<[number, number]>>

const [baseUrl, clientCount, sampleEvery] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])]
const DRAIN_EVERY_MS = 250
const now = (): number => performance.timeOrigin + performance.now()

/** One SSE client from `now`; a sampled one notes, per zergling, each revision generation and when it arrived. */
async function openClient (sampled: boolean): Promise<Arrivals | undefined> {
  const arrivals: Arrivals | undefined = sampled ? new Map() : undefined
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request(`${baseUrl}/zerglings/_changes`, { agent: false }, resolve).on('error', reject).end()
  })
  if (response.statusCode !== 200 || !String(response.headers['content-type']).startsWith('text/event-stream')) {
    response.resume()
    throw new Error(`GET /zerglings/_changes answered ${response.statusCode ?? '?'} ${String(response.headers['content-type'])}, not a stream`)
  }
  let pending = ''
  let live = false
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      // Only the sampled clients decode what they read once live; the others only drain.
      if (arrivals === undefined && live) return
      const at = now()
      pending += chunk.toString('utf8')
      const end = pending.lastIndexOf('\n\n')
      if (end < 0) return
      const complete = pending.slice(0, end)
      pending = pending.slice(end + 2)
      if (!live && complete.includes('event: live')) {
        live = true
        resolve()
        if (arrivals === undefined) {
          response.off('data', onData)
          drainNowAndThen(response)
          return
        }
      }
      if (arrivals === undefined) return
      for (const match of complete.matchAll(/"id":"([0-9a-f-]{36})".*?"_rev":"(\d+)-/g)) {
        const seen = arrivals.get(match[1]!) ?? []
        seen.push([Number(match[2]), at])
        arrivals.set(match[1]!, seen)
      }
    }
    response.on('data', onData)
  })
  return arrivals
}

/**
 * A client that is not sampled stands for one on another machine: what reading it costs is not
 * the service's. It takes what waited every DRAIN_EVERY_MS in one go (a read or two, where
 * reading each batch as it came made one per batch and client: 10 000 reads a second for 1000
 * clients on the cores the service runs on), within what the kernel holds for it (128 KB at
 * first), so the service never has more than that waiting for it and drops none.
 */
function drainNowAndThen (response: IncomingMessage): void {
  response.on('data', () => {})
  response.pause()
  const drain = setInterval(() => {
    response.resume()
    setImmediate(() => { response.pause() })
  }, DRAIN_EVERY_MS)
  response.once('close', () => { clearInterval(drain) })
}

const opened = await Promise.all(Array.from({ length: clientCount }, async (_, i) => await openClient(i % sampleEvery === 0)))
process.on('message', (message: { type: string }) => {
  if (message.type !== 'report') return
  const clients = opened.filter((arrivals) => arrivals !== undefined).map((arrivals) => [...arrivals])
  process.send!({ type: 'arrivals', clients }, () => { process.exit(0) })
})
process.send!({ type: 'ready' })
