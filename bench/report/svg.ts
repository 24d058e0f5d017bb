// latest.svg, drawn by hand: no small, well-kept Node library renders a static SVG chart without
// a DOM (d3 needs jsdom, vega a canvas stack), and four plain panels need only rects, lines and
// text. Panels: throughput and p99 per scenario (horizontal bars), then the two growth curves
// on a log x axis — list p99 against zerglings, command p99 against history length.
import type { LoadResult } from '../support/result.js'
import type { BenchReport } from './model.js'

const WIDTH = 960
const LABEL = 300
const BAR_H = 14
const COLORS: Record<string, string> = { embedded: '#2b6cb0', couchdb: '#c05621' }

const esc = (text: string): string => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)
const label = (r: LoadResult): string => `${r.target} ${r.scenario} c=${r.connections}`

function color (target: string): string {
  const [name = '', query] = target.split(' ')
  const base = COLORS[name] ?? '#718096'
  // The same target's second series (`?history=none`) is drawn lighter.
  return query === undefined || query === 'default' ? base : `${base}99`
}

function bars (title: string, rows: LoadResult[], value: (r: LoadResult) => number, unit: string, top: number): { svg: string, height: number } {
  const max = Math.max(1, ...rows.map(value))
  const scale = (WIDTH - LABEL - 90) / max
  const parts = [`<text x="10" y="${top + 16}" class="title">${esc(title)}</text>`]
  rows.forEach((r, i) => {
    const y = top + 28 + i * (BAR_H + 4)
    const v = value(r)
    parts.push(
      `<text x="${LABEL - 6}" y="${y + 11}" text-anchor="end">${esc(label(r))}</text>`,
      `<rect x="${LABEL}" y="${y}" width="${Math.max(1, v * scale).toFixed(1)}" height="${BAR_H}" fill="${color(r.target)}"/>`,
      `<text x="${(LABEL + v * scale + 4).toFixed(1)}" y="${y + 11}">${v.toLocaleString('en-US', { maximumFractionDigits: 1 })} ${unit}</text>`
    )
  })
  return { svg: parts.join('\n'), height: 40 + rows.length * (BAR_H + 4) }
}

/** Points per target on a log10 x axis (x ≥ 1) and a linear y axis from 0. */
function curve (title: string, xLabel: string, series: Map<string, Array<[number, number]>>, left: number, top: number, width: number): string {
  const height = 200
  const all = [...series.values()].flat()
  if (all.length === 0) return ''
  const xs = all.map(([x]) => Math.log10(Math.max(1, x)))
  const minX = Math.min(...xs)
  const maxX = Math.max(minX + 1, ...xs)
  const maxY = Math.max(1, ...all.map(([, y]) => y)) * 1.1
  const px = (x: number): number => left + 50 + ((Math.log10(Math.max(1, x)) - minX) / (maxX - minX)) * (width - 80)
  const py = (y: number): number => top + 30 + height - (y / maxY) * height
  const parts = [
    `<text x="${left + 10}" y="${top + 16}" class="title">${esc(title)}</text>`,
    `<line x1="${left + 50}" y1="${py(0)}" x2="${left + width - 20}" y2="${py(0)}" stroke="#a0aec0"/>`,
    `<line x1="${left + 50}" y1="${py(0)}" x2="${left + 50}" y2="${py(maxY)}" stroke="#a0aec0"/>`,
    `<text x="${left + 44}" y="${py(maxY) + 10}" text-anchor="end">${maxY.toFixed(0)} ms</text>`,
    `<text x="${left + 44}" y="${py(0)}" text-anchor="end">0</text>`,
    `<text x="${left + width - 20}" y="${py(0) + 28}" text-anchor="end">${esc(xLabel)} (log scale)</text>`
  ]
  let legend = 0
  for (const [target, points] of series) {
    const sorted = [...points].sort((a, b) => a[0] - b[0])
    parts.push(`<polyline fill="none" stroke="${color(target)}" stroke-width="2" points="${sorted.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`)
    for (const [x, y] of sorted) {
      parts.push(
        `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color(target)}"/>`,
        `<text x="${px(x).toFixed(1)}" y="${(py(y) - 6).toFixed(1)}" text-anchor="middle">${y.toFixed(1)}</text>`,
        `<text x="${px(x).toFixed(1)}" y="${py(0) + 14}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`
      )
    }
    parts.push(`<text x="${left + width - 20}" y="${top + 34 + legend++ * 14}" text-anchor="end" fill="${color(target)}">${esc(target)} p99</text>`)
  }
  return parts.join('\n')
}

/** One series per target (and per `query`, where a scenario ran with several). */
function seriesOf (results: LoadResult[], scenario: string, param: string): Map<string, Array<[number, number]>> {
  const series = new Map<string, Array<[number, number]>>()
  for (const r of results.filter((x) => x.scenario === scenario)) {
    const name = r.params?.query === undefined ? r.target : `${r.target} ${r.params.query}`
    const points = series.get(name) ?? []
    points.push([Number(r.params?.[param]), r.p99])
    series.set(name, points)
  }
  return series
}

export function renderSvg (report: BenchReport): string {
  const throughput = report.results.filter((r) => r.scenario !== 'list' && r.scenario !== 'command-history')
  const rps = bars('Throughput per scenario (successful requests/s)', throughput, (r) => r.rps, 'req/s', 40)
  const p99 = bars('p99 latency per scenario (ms)', throughput, (r) => r.p99, 'ms', 40 + rps.height)
  const curvesTop = 40 + rps.height + p99.height
  const half = WIDTH / 2
  const height = curvesTop + 270
  const { machine } = report
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">
<style>.title { font-size: 14px; font-weight: bold; }</style>
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="16" font-weight="bold">overmind bench ${esc(report.startedAt.slice(0, 16))}${report.plan.quick ? ' (quick)' : ''}: ${esc(machine.cpu)}, ${machine.cores} cores, node ${esc(machine.node)}, CouchDB ${report.couchdb}</text>
${rps.svg}
${p99.svg}
${curve('List page p99 vs zerglings in the database', 'zerglings', seriesOf(report.results, 'list', 'zerglings'), 0, curvesTop, half)}
${curve('Command p99 vs history length (default parameters, ?history=none)', 'commands in the history', seriesOf(report.results, 'command-history', 'history'), half, curvesTop, half)}
</svg>
`
}
