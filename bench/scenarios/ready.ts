// Time from spawning `overmind serve` on an empty embedded store to its first `200` from
// /readyz, a few times (the first start also pays for cold file caches); the median is compared.
import { join } from 'node:path'
import type { BenchContext } from '../support/context.js'
import { startOvermind } from '../support/overmind.js'

export async function readyScenario (ctx: BenchContext): Promise<number[]> {
  const times: number[] = []
  for (let run = 0; run < ctx.plan.readyRuns; run++) {
    const serve = await startOvermind(ctx, `overmind-ready-${run}`, { store: 'embedded', dataDir: join(ctx.tmpDir, `ready-${run}`) })
    times.push(Math.round(serve.readyMs))
    await serve.child.stop()
  }
  ctx.log(`ready after ${times.join(', ')} ms`)
  return times
}
