// List page latency (`GET /zerglings/?limit=100`) with a small and a large database. Pages start
// at cursors spread over the whole id range, not only at the first page, which any index serves
// fast. The cursor is the service's documented format (base64url of the last id of a page).
import type { BenchContext } from '../support/context.js'
import { runLoad } from '../support/load.js'
import type { LoadResult } from '../support/result.js'

export async function listScenario (ctx: BenchContext, target: string, baseUrl: string, ids: string[]): Promise<LoadResult> {
  const cursors = ids.slice(0, 2000).map((id) => Buffer.from(id, 'utf8').toString('base64url'))
  let n = 0
  ctx.log(`${target} list with ${ids.length} zerglings`)
  return await runLoad({
    scenario: 'list',
    target,
    url: baseUrl,
    connections: 10,
    warmupS: ctx.plan.warmupS,
    durationS: ctx.plan.durationS,
    // Every tenth page is the first one; the rest start somewhere random.
    nextPath: () => (n++ % 10 === 0 ? '/zerglings/?limit=100' : `/zerglings/?limit=100&cursor=${cursors[n % cursors.length]!}`),
    params: { request: 'GET /zerglings/?limit=100[&cursor=…]', zerglings: ids.length }
  })
}
