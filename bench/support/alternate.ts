// Ratios between a service and its baseline are taken from figures measured in alternating
// slices (baseline, service, baseline, service, ...), each side keeping its best slice:
// interference from other work on a shared machine only ever slows a slice down, and both sides
// get the same exposure to it. A figure measured a minute before the other says more about the
// neighbours than about us.
import type { BenchContext } from './context.js'
import type { LoadResult } from './result.js'

/** One slice of one side: a measurement of `durationS` after a warm-up of `warmupS`. */
export type Slice = (durationS: number, warmupS: number) => Promise<LoadResult>

/** Three slices each in a full run, one in a quick run (each slice pays the load tool's start-up). */
export async function alternate (ctx: BenchContext, sides: Slice[]): Promise<LoadResult[]> {
  const slices = ctx.plan.quick ? 1 : 3
  const durationS = ctx.plan.durationS / slices
  const warmupS = ctx.plan.warmupS / slices
  const runs: LoadResult[][] = sides.map(() => [])
  for (let i = 0; i < slices; i++) {
    for (const [side, measure] of sides.entries()) runs[side]!.push(await measure(durationS, warmupS))
  }
  return runs.map((mine) => {
    const top = mine.reduce((a, b) => (b.rps > a.rps ? b : a))
    if (slices === 1) return top
    return { ...top, notes: [...top.notes ?? [], `best of ${slices} slices alternating with ${sides.length - 1 === 1 ? 'its counterpart' : 'the others'}: ${mine.map((run) => Math.round(run.rps)).join(', ')} req/s`] }
  })
}
