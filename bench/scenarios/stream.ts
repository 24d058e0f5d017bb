// The change stream under load (issue 14): 1000 SSE clients on one replica of the embedded store
// while commands run, beside the same command load with no client. Measured: the delay from a
// command's 200 to its event at the clients (p50, p99, on a sample of the clients spread over the
// order the replica writes to them), the command rate with and without the clients, and the
// replica's resident memory. Targets: p99 ≤ 250 ms, rate ≥ 0.9× the run without clients, RSS ≤
// 250 MB. Every client but the sampled ones reads and discards; all of them read, so none is
// dropped for being slow (that is counted too: it must stay 0). The clients run in a process of
// their own (stream-clients.ts), so that reading them does not hold up this process's commands.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { request, Agent } from 'node:http'
import { join } from 'node:path'
import type { BenchContext } from '../support/context.js'
import { startOvermind } from '../support/overmind.js'
import { sampleMemory, type Memory } from '../support/rss.js'

export interface StreamBenchResult {
  clients: number
  /** Commands a second through the replica, with the clients connected and without. */
  commandsPerSecond: { withClients: number, withoutClients: number }
  /** From a command's 200 to its event at a sampled client. */
  delayMs: { p50: number, p99: number, max: number, samples: number }
  /** Events the sampled clients never got within the run (must be 0). */
  missing: number
  dropped: number
  memory: Memory
}

const CLIENTS = 1000
const SAMPLED = 50
const ZERGLINGS = 50
const CONCURRENCY = 10

export async function streamScenario (ctx: BenchContext, clients = CLIENTS): Promise<StreamBenchResult> {
  const durationMs = ctx.plan.durationS * 1000
  const serve = await startOvermind(ctx, 'overmind-embedded-stream', { store: 'embedded', dataDir: join(ctx.tmpDir, 'stream-embedded') })
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity })
  try {
    const ids = await Promise.all(Array.from({ length: ZERGLINGS }, async () => await spawn(serve.baseUrl, agent)))
    const withoutClients = await commandLoad(serve.baseUrl, agent, ids, durationMs)
    ctx.log(`stream: ${withoutClients.rate.toFixed(0)} commands/s without clients; connecting ${clients} clients`)

    const sampler = sampleMemory(serve.child.pid)
    const streams = await openClients(serve.baseUrl, clients, Math.ceil(clients / SAMPLED))
    const withClients = await commandLoad(serve.baseUrl, agent, ids, durationMs)
    // Let the last events arrive before judging what is missing.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const memory = sampler.stop()
    const sampledClients = await streams.report()
    // A state can fold into a later one of the same zergling (the feed shows the latest): a
    // command's event is the first one at its revision or after.
    const delays: number[] = []
    let missing = 0
    for (const arrivals of sampledClients) {
      for (const [key, answeredAt] of withClients.answered) {
        const [id, generation] = key.split(' ')
        const seen = (arrivals.get(id!) ?? []).find(([at]) => at >= Number(generation))
        if (seen === undefined) missing++
        else delays.push(Math.max(0, seen[1] - answeredAt))
      }
    }
    const metrics = await (await fetch(`${serve.baseUrl}/metrics`)).text()
    delays.sort((a, b) => a - b)
    const at = (q: number): number => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? Number.NaN
    return {
      clients,
      commandsPerSecond: { withClients: withClients.rate, withoutClients: withoutClients.rate },
      delayMs: { p50: at(0.5), p99: at(0.99), max: delays.at(-1) ?? Number.NaN, samples: delays.length },
      missing,
      dropped: Number(/^overmind_stream_dropped_total (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN),
      memory
    }
  } finally {
    agent.destroy()
    await serve.child.stop()
  }
}

async function spawn (baseUrl: string, agent: Agent): Promise<string> {
  const { body } = await send(`${baseUrl}/zerglings/`, agent, '')
  return (JSON.parse(body) as { zergling: { id: string } }).zergling.id
}

/** `CONCURRENCY` loops of one command each on the zerglings in turn; `answered`: `id generation` → when its 200 came (absolute ms, as the clients' process notes arrivals). */
async function commandLoad (baseUrl: string, agent: Agent, ids: string[], durationMs: number): Promise<{ rate: number, answered: Map<string, number> }> {
  const answered = new Map<string, number>()
  const started = performance.now()
  let done = 0
  let next = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() - started < durationMs) {
      const id = ids[next++ % ids.length]!
      const { status, body } = await send(`${baseUrl}/zerglings/${id}?history=none`, agent, '"M"')
      if (status !== 200) throw new Error(`a command answered ${status}: ${body}`)
      answered.set(`${id} ${Number.parseInt((JSON.parse(body) as { zergling: { _rev: string } }).zergling._rev, 10)}`, performance.timeOrigin + performance.now())
      done++
    }
  }))
  return { rate: done / ((performance.now() - started) / 1000), answered }
}

async function send (url: string, agent: Agent, body: string): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: text }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Forks the clients' process and waits until every client is live; `report` collects the sampled clients' arrivals and ends it. */
async function openClients (baseUrl: string, clients: number, sampleEvery: number): Promise<{ report: () => Promise<Array<Map<string, Array<[number, number]>>>> }> {
  const child = fork(new URL('./stream-clients.ts', import.meta.url), [baseUrl, String(clients), String(sampleEvery)], { execArgv: ['--import', 'tsx'] })
  const exited = once(child, 'exit')
  // Whatever way the scenario ends, the clients end with it.
  process.once('exit', () => child.kill())
  const next = async (type: string): Promise<unknown> => await Promise.race([
    new Promise((resolve) => {
      const onMessage = (message: { type: string }): void => { if (message.type === type) { child.off('message', onMessage); resolve(message) } }
      child.on('message', onMessage)
    }),
    exited.then(([code]) => { throw new Error(`the stream clients' process exited (${String(code)}) before "${type}"`) })
  ])
  await next('ready')
  return {
    report: async () => {
      child.send({ type: 'report' })
      const { clients: sampled } = await next('arrivals') as { clients: Array<Array<[string, Array<[number, number]>]>> }
      return sampled.map((entries) => new Map(entries))
    }
  }
}
