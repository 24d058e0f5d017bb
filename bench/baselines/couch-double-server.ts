// The default CouchDB of the bench: the tests' CouchDB-protocol double (PouchDB memory adapter
// behind CouchDB's HTTP API), in its own process so it never shares an event loop with the
// service or with autocannon. Run: node --import tsx bench/baselines/couch-double-server.ts PORT
// with BENCH_COUCH_PASSWORD in the environment (the admin's password).
import { startCouchDouble } from '../../test/support/couch-double/index.js'

const port = Number(process.argv[2])
const double = await startCouchDouble({ port, admins: { admin: process.env.BENCH_COUCH_PASSWORD ?? 'bench' } })
process.once('SIGTERM', () => { double.close().then(() => process.exit(0), () => process.exit(1)) })
