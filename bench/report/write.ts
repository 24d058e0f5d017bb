// Writes latest.json, latest.md and latest.svg (or NAME.*) side by side in bench/results/.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { BenchReport } from './model.js'
import { renderMarkdown } from './md.js'
import { renderSvg } from './svg.js'

export async function writeReports (dir: string, report: BenchReport, name = 'latest'): Promise<string[]> {
  const files = {
    [`${name}.json`]: JSON.stringify(report, null, 2) + '\n',
    [`${name}.md`]: renderMarkdown(report, name),
    [`${name}.svg`]: renderSvg(report)
  }
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true })
    await writeFile(join(dir, file), text)
  }
  return Object.keys(files).map((file) => join(dir, file))
}
