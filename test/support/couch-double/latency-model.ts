// What a request costs on a real CouchDB, for the bench: the double answers in about a
// millisecond whatever the load, so a round trip more or less barely shows against it, while on
// a real server every round trip costs a time that grows with the requests the server is busy
// with. The model gives each kind of request a curve — its median time with 1, 10 and 50 requests
// in flight — and ./latency-queue.ts answers each request when its time, at the number of
// requests in flight meanwhile, has passed.
//
// Only medians: CouchDB's spread (its p99 is about twice its p50 under load) is left out on
// purpose, so that the bench's p99 figures show the service's own variance, not dice thrown here.
// The double's CPU is not CouchDB's either: a real server on the same two cores also takes CPU
// from the service (bench/NOTES.md, "The latency model", shows what that leaves out).

export type RequestKind = 'document-read' | 'document-write' | 'all-docs' | 'session' | 'other'

/** Median milliseconds with 1, 10 and 50 requests in flight (each client sending the next as soon as it has its answer). */
export type Curve = readonly [c1: number, c10: number, c50: number]

export interface LatencyModel {
  curves: Readonly<Record<RequestKind, Curve>>
  /** `_all_docs`: what each row returned adds to the `all-docs` curve. */
  allDocsPerRow: Curve
}

/**
 * CouchDB 3.4.3, single node, default settings, cookie auth, on this 2-core machine (issue 13):
 * a document GET took 1.3 ms at one client, 6.3 ms at ten and 21 ms at fifty; a PUT 2.9, 18
 * and 51 ms. Those are the two main curves. The other kinds are scaled from the GET curve by
 * what they cost beside a GET in `bench/calibrate.ts` runs against a real 3.4.3 here (median of
 * three runs; bench/NOTES.md has the tables): on a machine shared with other work every figure
 * comes out two to four times slower, so the runs give the kinds' proportions, not the level.
 * Basic auth cost the same as the cookie (3.4 keeps a cheap hash of a password it has checked,
 * src/couch/src/couch_passwords_cache.erl), so the model does not tell them apart. Every document
 * write (PUT, POST, DELETE, COPY) follows the PUT curve: a command is one.
 */
export const COUCHDB_3_4: LatencyModel = {
  curves: {
    'document-read': [1.3, 6.3, 21],
    'document-write': [2.9, 18, 51],
    'all-docs': [1.4, 7.2, 21],
    session: [1.1, 4.9, 14],
    other: [0.6, 5, 8.9]
  },
  allDocsPerRow: [0.037, 0.177, 1.08]
}

/** The curve at `inFlight` requests: straight lines between the points on log-log axes, the last one extended. */
export function onCurve ([c1, c10, c50]: Curve, inFlight: number): number {
  const n = Math.max(1, inFlight)
  if (n <= 10) return c1 * n ** (Math.log(c10 / c1) / Math.log(10))
  return c10 * (n / 10) ** (Math.log(c50 / c10) / Math.log(5))
}

/** Median milliseconds for one request of `kind` returning `rows` rows, at `inFlight` requests in flight. */
export function modelledMs (model: LatencyModel, kind: RequestKind, inFlight: number, rows = 0): number {
  const base = onCurve(model.curves[kind], inFlight)
  return kind === 'all-docs' ? base + rows * onCurve(model.allDocsPerRow, inFlight) : base
}

/**
 * Which curve a request follows, from its method and decoded path segments; undefined for a
 * `_changes` feed, which waits for writes rather than working (it neither pays nor counts).
 */
export function requestKind (method: string, parts: string[]): RequestKind | undefined {
  const [first, second, ...rest] = parts
  if (first === undefined) return 'other'
  if (first === '_session') return 'session'
  if (first.startsWith('_') && !['_users', '_replicator', '_global_changes'].includes(first)) return 'other'
  if (second === undefined) return method === 'POST' ? 'document-write' : 'other'
  if (second === '_all_docs' || second === '_design_docs') return 'all-docs'
  if (second === '_changes') return undefined
  // _design/x and _local/x are documents; _design/x/_view/... and attachments are not.
  const below = second === '_design' || second === '_local' ? rest.slice(1) : rest
  if ((second.startsWith('_') && second !== '_design' && second !== '_local') || below.length > 0) return 'other'
  return method === 'GET' || method === 'HEAD' ? 'document-read' : 'document-write'
}
