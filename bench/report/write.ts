// Writes latest.json, latest.md and latest.svg side by side in bench/results/.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BenchReport } from './model.js'
import { renderMarkdown } from './md.js'
import { renderSvg } from './svg.js'

export async function writeReports (dir: string, report: BenchReport): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const files = {
    'latest.json': JSON.stringify(report, null, 2) + '\n',
    'latest.md': renderMarkdown(report),
    'latest.svg': renderSvg(report)
  }
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  return Object.keys(files).map((name) => join(dir, name))
}
