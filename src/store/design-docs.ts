// The design documents the service uses, as data: `overmind bootstrap` (step `design-docs`)
// deploys them and writes only when the content changed, because every PUT of a design doc
// makes a new revision and may rebuild its indexes (test/fixtures/couchdb-3.4/README.md, surprise 23; design-views.json);
// a changed one has its views built under a temporary id first (src/bootstrap/index-build.ts).
// The list endpoint never shows them: `_design/*` rows are filtered out of `_all_docs`.
// https://docs.couchdb.org/en/stable/ddocs/views/intro.html
//
// None today. `_design/overmind` held the view `zerglings_by_facing`, which nothing ever
// queried while every command's write gave the indexer work: migration 002
// (src/bootstrap/migrations/002-remove-zerglings-by-facing.ts) removes it. A view the service
// comes to need goes here, and its query with it.

export interface DesignDocument {
  _id: `_design/${string}`
  language: 'javascript'
  views: Record<string, { map: string, reduce?: string }>
}

export const DESIGN_DOCUMENTS: readonly DesignDocument[] = []
