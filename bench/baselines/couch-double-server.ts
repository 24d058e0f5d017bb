// The default CouchDB of the bench: the tests' CouchDB-protocol double (PouchDB memory adapter
// behind CouchDB's HTTP API), in its own process so it never shares an event loop with the
// service or with autocannon, with its CouchDB 3.4 latency model on: each request takes about
// what it takes a real server at the same load, so a round trip saved shows as on a real one.
// Run: node --import tsx bench/baselines/couch-double-server.ts PORT
// with BENCH_COUCH_PASSWORD in the environment (the admin's password); BENCH_COUCH_LATENCY_MODEL=off
// leaves the model out.
import { COUCHDB_3_4, startCouchDouble } from '../../test/support/couch-double/index.js'

/**
 * Revisions kept per document (`_revs_limit`; CouchDB's default is 1000). The double's PouchDB
 * parses a document's whole rev tree on every read and write, so a zergling commanded for a few
 * seconds (thousands of revisions) made each PUT cost the double ~19 ms and each GET ~4.5 ms of
 * its own, a cost that grows with the revisions as a real CouchDB's does not (bench/NOTES.md).
 * 20 is more than any of the service's look-backs needs (a lost answer's generation is the one
 * just written).
 */
const REVS_LIMIT = 20

const port = Number(process.argv[2])
const double = await startCouchDouble({ port, revsLimit: REVS_LIMIT, admins: { admin: process.env.BENCH_COUCH_PASSWORD ?? 'bench' }, ...(process.env.BENCH_COUCH_LATENCY_MODEL === 'off' ? {} : { latencyModel: COUCHDB_3_4 }) })
process.once('SIGTERM', () => { double.close().then(() => process.exit(0), () => process.exit(1)) })
