// Entity tags for zerglings (RFC 9110 §8.8.3): a zergling's ETag is its CouchDB revision, quoted,
// so a client gets CouchDB's own optimistic concurrency over HTTP: `If-None-Match` spares a
// re-download of an unchanged zergling (304), `If-Match` makes a command or a delete apply only
// to the state the client saw (412 otherwise). The tag is strong: a revision names one stored
// state, and every answer showing that state is built from it alone. A compressed answer keeps
// the tag, as @fastify/compress and Express's compression do; it names the state, not the bytes.
import { ApiError } from './api-error.js'

export function entityTag (rev: string): string {
  return `"${rev}"`
}

interface ParsedTag { weak: boolean, opaque: string }

/** `entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE`, etagc = %x21 / %x23-7E (RFC 9110 §8.8.3). */
const LIST_ITEM = /^\s*(W\/)?"([\x21\x23-\x7e]*)"\s*(,|$)/

/** The tags of a `#entity-tag` list, or undefined when it is not one. */
function parseTagList (header: string): ParsedTag[] | undefined {
  const tags: ParsedTag[] = []
  let rest = header
  while (rest.trim() !== '') {
    const match = LIST_ITEM.exec(rest)
    if (match === null) return undefined
    tags.push({ weak: match[1] !== undefined, opaque: match[2]! })
    rest = rest.slice(match[0].length)
    if (match[3] === ',' && rest.trim() === '') return undefined
  }
  return tags.length === 0 ? undefined : tags
}

/**
 * The revisions an `If-Match` pins, or undefined for none (absent, or `*`: "it exists", which a
 * zergling route checks anyway, answering 404 first as RFC 9110 §13.2.1 orders). A weak tag never
 * matches (strong comparison, §13.1.1), so only strong ones count; a header that is no list of
 * tags is a 400 rather than a 412 the client could not make sense of.
 */
export function pinnedRevisions (header: string | undefined): string[] | undefined {
  if (header === undefined || header.trim() === '*') return undefined
  const tags = parseTagList(header)
  if (tags === undefined) {
    throw new ApiError(400, 'bad_request', 'If-Match must be `*` or ETags as this service sent them, quotes included: If-Match: "2-…".')
  }
  return tags.filter((tag) => !tag.weak).map((tag) => tag.opaque)
}

/**
 * Whether `If-None-Match` names the revision (weak comparison, RFC 9110 §13.1.2; `*` names any):
 * then a GET answers 304. A header that is no list of tags names nothing.
 */
export function noneMatchNames (header: string | undefined, rev: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return parseTagList(header)?.some((tag) => tag.opaque === rev) ?? false
}
