// 002: the view `zerglings_by_facing` goes. Nothing has ever queried it, and CouchDB runs its map
// function over every revision written (each command to a zergling) the next time the view is
// read or its indexer catches up (ken, the background indexer, does so for every design
// document), so it costs the brain work on the write path for an answer nobody asks for. Counts
// by facing, should they be wanted, are a `_count` over a view added back by a later migration.
// `_design/overmind` held only this view: the document is deleted; any other view someone added
// to it is kept and only ours is removed.
// https://docs.couchdb.org/en/stable/ddocs/views/intro.html
import { BootstrapError } from '../bootstrap-error.js'
import type { Migration } from './migration.js'

const DESIGN_ID = '_design/overmind'
const VIEW = 'zerglings_by_facing'

export const migration: Migration = {
  id: '002-remove-zerglings-by-facing',
  description: 'remove the unused view _design/overmind/zerglings_by_facing',
  module: import.meta.url,
  async page (db, _after, dryRun) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const design = await db.read(DESIGN_ID)
      const views = design?.views as Record<string, unknown> | undefined
      if (design === undefined || views?.[VIEW] === undefined) return { changed: 0 }
      if (dryRun) return { changed: 1 }
      const { [VIEW]: _removed, ...others } = views
      const done = Object.keys(others).length === 0
        ? await db.remove(DESIGN_ID, design._rev)
        : await db.write({ ...design, views: others })
      if (done !== 'conflict') return { changed: 1 }
    }
    throw new BootstrapError(`${DESIGN_ID} kept changing while ${VIEW} was removed; run the migration again.`)
  }
}
