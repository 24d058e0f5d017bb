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
// from the service (bench/results/calibration.md shows what that leaves out).

export type RequestKind = 'document-read' | 'document-write' | 'all-docs' | 'session' | 'other'

/** Median milliseconds with 1, 10 and 50 requests in flight (each client sending the next as soon as it has its answer). */
export type Curve = readonly [c1: number, c10: number, c50: number]

export interface LatencyModel {
  curves: Readonly<Record<RequestKind, Curve>>
  /** `_all_docs`: what each row returned adds to the `all-docs` curve. */
  allDocsPerRow: Curve
}

/**
 * CouchDB 3.4.3, single node, default settings, cookie auth, on 2 shared cores (the bench's
 * machine): the median of three `node --import tsx bench/calibrate.ts` runs against it
 * (bench/results/calibration.md has them beside the modelled double's). The points at one client
 * are set to what makes the double answer in about CouchDB's time there (the double's own work —
 * a PUT on PouchDB's memory adapter takes about 5 ms — and Node's whole-millisecond timers add up
 * to a millisecond), but no point is below a tenth of the point at ten: a curve that grows faster than the requests in flight would have the server get
 * less done the more it is given (CouchDB got more done at ten). Basic auth cost the same as the
 * cookie there (3.4 keeps a cheap hash of a password it has checked,
 * src/couch/src/couch_passwords_cache.erl), so the model does not tell them apart. Every
 * document write (PUT, POST, DELETE, COPY) follows an update's PUT: a command is one; a new
 * document's POST cost about a quarter less. `other` is `GET /{db}`.
 */
export const COUCHDB_3_4: LatencyModel = {
  curves: {
    'document-read': [0.9, 8.6, 55],
    'document-write': [4.5, 21.7, 70.8],
    'all-docs': [1.45, 14.2, 76.5],
    session: [1.0, 7.4, 31.3],
    other: [1.1, 10.9, 38]
  },
  allDocsPerRow: [0.054, 0.525, 2.86]
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
