// Where a V8 CPU profile (`node --cpu-prof`, the .cpuprofile JSON) spent its time: self time by
// package (a node_modules package, node's own code, the service's src/, the engine) and by
// function, as markdown tables. Self time is what the function ran itself, not its callees.
// https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile

export interface CpuProfile {
  nodes: Array<{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number }>
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

/** `node_modules/fastify/lib/x.js` → `fastify`; node's own files → `node`; the service → `src/…`. */
export function packageOf (url: string, functionName: string): string {
  if (url === '') return functionName === '(garbage collector)' ? '(garbage collector)' : functionName === '(idle)' || functionName === '(program)' ? functionName : '(engine)'
  if (url.startsWith('node:')) return 'node'
  const modules = url.lastIndexOf('node_modules/')
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + 'node_modules/'.length).split('/')
    return scope!.startsWith('@') ? `${scope!}/${name!}` : scope!
  }
  const dist = /\/dist\/(.+)$/.exec(url)
  return dist === null ? url : `src/${dist[1]!.split('/').slice(0, -1).join('/') || '.'}`
}

/** `skipMs`: leave out the first milliseconds of the profile (start-up and seeding). */
export function summariseProfile (profile: CpuProfile, top = 25, skipMs = 0): string {
  const selfMs = new Map<number, number>()
  let at = 0
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    at += ms
    if (at >= skipMs) selfMs.set(id, (selfMs.get(id) ?? 0) + ms)
  })
  const byPackage = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') { idle += ms; continue }
    total += ms
    const pkg = packageOf(url, functionName)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms)
    const where = url === '' ? '' : ` ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`
    const key = `${functionName === '' ? '(anonymous)' : functionName}${where}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms)
  }
  const rows = (map: Map<string, number>): string[] => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => `| ${name} | ${ms.toFixed(0)} | ${(100 * ms / total).toFixed(1)} % |`)
  return [
    `Busy ${(total / 1000).toFixed(1)} s of ${((profile.endTime - profile.startTime) / 1e6 - skipMs / 1000).toFixed(1)} s under load (idle ${(idle / 1000).toFixed(1)} s).`,
    '',
    '| package | self ms | of busy |',
    '|---|---:|---:|',
    ...rows(byPackage),
    '',
    '| function | self ms | of busy |',
    '|---|---:|---:|',
    ...rows(byFunction)
  ].join('\n')
}
