// The design documents the service uses, as data: `overmind bootstrap` (step `design-docs`)
// deploys them and writes only when the content changed, because every PUT of a design doc
// makes a new revision and may rebuild its indexes (test/fixtures/couchdb-3.4/README.md, surprise 23; design-views.json).
// The list endpoint never shows them: `_design/*` rows are filtered out of `_all_docs`.
// https://docs.couchdb.org/en/stable/ddocs/views/intro.html

export interface DesignDocument {
  _id: `_design/${string}`
  language: 'javascript'
  views: Record<string, { map: string, reduce?: string }>
}

export const DESIGN_DOCUMENTS: readonly DesignDocument[] = [
  {
    _id: '_design/overmind',
    language: 'javascript',
    views: {
      // Zerglings per facing; `?reduce=true` (default) gives the total, `?group=true` per facing.
      zerglings_by_facing: {
        map: 'function (doc) { if (doc.location && doc.facing && doc._id.indexOf(\'_design/\') !== 0) { emit(doc.facing, 1); } }',
        reduce: '_count'
      }
    }
  }
]
