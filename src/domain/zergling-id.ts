// Zergling ids are lowercase UUID v4, the shape the original service minted. Anything else
// (`_all_docs`, `_design/x`, `..`, `%2F`) is answered 404 before it can reach the store, because
// the store would treat it as a path into CouchDB.

const ZERGLING_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

export function isZerglingId (id: string): boolean {
  return ZERGLING_ID.test(id)
}
