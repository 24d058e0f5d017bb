// What `overmind zerglings` prints on stdout: results only. Humans get an aligned table (as
// kubectl prints one); scripts (--json) get the API's JSON, one document per line.
import type { Detail, Summary } from './zergling-pages.js'

export interface Output {
  json: boolean
  /** One line of stdout. */
  line (text: string): void
}

export function stdoutOutput (json: boolean): Output {
  // `overmind zerglings list | head -1`: a reader that has seen enough is no error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exit(0)
  })
  return { json, line: (text) => { process.stdout.write(text + '\n') } }
}

const COLUMNS = ['ID', 'X', 'Y', 'FACING', 'HISTORY'] as const
const RIGHT_ALIGNED = new Set([1, 2, 4])

export type Row = Summary & { historyLength?: number }

function cells ({ id, location, facing, historyLength }: Row): string[] {
  return [id, String(location.x), String(location.y), facing, historyLength === undefined ? '-' : String(historyLength)]
}

/** Rows under a header, each column as wide as its widest cell; `lead` is an extra first column. */
export function formatTable (rows: readonly Row[], lead?: { title: string, values: readonly string[] }): string[] {
  const header = [...(lead === undefined ? [] : [lead.title]), ...COLUMNS]
  const body = rows.map((row, i) => [...(lead === undefined ? [] : [lead.values[i] ?? '']), ...cells(row)])
  const shift = lead === undefined ? 0 : 1
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cellsOfRow) => cellsOfRow[column]!.length)))
  return [header, ...body].map((cellsOfRow) => cellsOfRow
    .map((cell, column) => RIGHT_ALIGNED.has(column - shift) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))
    .join('  ')
    .trimEnd())
}

/** A history as one line of letters (`LMLMM`), or a dash when there is none. */
export function formatHistory (commands: readonly string[]): string {
  return commands.length === 0 ? '-' : commands.join('')
}

export function detailRow (zergling: Detail): Row {
  return { id: zergling.id, location: zergling.location, facing: zergling.facing, historyLength: zergling.historyLength }
}
