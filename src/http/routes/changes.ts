// `GET /zerglings/_changes`: the live change stream (text/event-stream). What it sends and how a
// client resumes is in the route's description, which /openapi.json and /docs show.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { isStoreError } from '../../store/store-error.js'
import { ApiError } from '../api-error.js'
import { answerOtherMethods } from '../method-not-allowed.js'
import { answer, errorAnswers } from '../responses.js'
import { ChangesHeaders, ChangesQuery, ErrorBody, ZerglingEvent } from '../frozen-schemas.js'

const DESCRIPTION = `Server-sent events (\`text/event-stream\`; in a browser, \`new EventSource('/zerglings/_changes?since=0')\`),
fed by the database's own changes feed: moves made through **any** replica reach the clients of every replica.

Events (\`event:\` names the kind; \`data:\` is one line of JSON, shown below):
- \`spawned\`, \`moved\`, \`deleted\`: one zergling's new state. \`id:\` is a position to resume from.
- \`live\`: everything up to its \`id:\` has been sent; \`data\` is \`{"replica": "<name>"}\`, the replica serving the stream.
- \`brain\`: \`{"brain":"unavailable","error","reason"}\` when the database cannot be read (the stream waits and
  resumes by itself, without a gap), \`{"brain":"ok"}\` once it can again.
- \`dropped\`: the last event for a client that read too slowly (its unread events would have grown without bound).
- \`closing\`: the last event when the replica shuts down.
After \`dropped\` or \`closing\` the server closes the stream; reconnect with \`Last-Event-ID\` (an EventSource does
by itself) to continue where it left off, on any replica. A comment line (\`:\`) every 15 s keeps proxies from
closing an idle stream.

Each event is a zergling's state when the replica read the database's feed, which keeps the latest change
of each document: changes that come faster than the feed is read (it reads at most every 50 ms) fold into the
latest. Resuming from a position sends every zergling changed since, in its latest state, without a gap and
without sending a state twice. After a conflict
was merged, or after resuming on another replica of a CouchDB cluster, a state already sent may come again:
a client keeps, per zergling, the state with the highest \`_rev\` generation.`

const changesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/zerglings/_changes', {
    exposeHeadRoute: false,
    schema: {
      tags: ['zerglings'],
      operationId: 'streamZerglingChanges',
      summary: 'Stream every zergling\'s changes as they happen (server-sent events)',
      description: DESCRIPTION,
      querystring: ChangesQuery,
      headers: ChangesHeaders,
      response: {
        200: { description: 'A stream of events that does not end by itself (never compressed: each event leaves as it happens). The schema is one event\'s `data:`.', content: { 'text/event-stream': { schema: ZerglingEvent } } },
        400: answer(ErrorBody, '`invalid_cursor`: `since` or Last-Event-ID is not a position this service handed out.'),
        ...errorAnswers(500, 503)
      }
    }
  }, async (request, reply) => {
    const since = request.headers['last-event-id'] || request.query.since || 'now'
    try {
      await fastify.changeStreams.open(reply, since)
    } catch (error) {
      if (!isStoreError(error, 'invalid_cursor')) throw error
      throw new ApiError(400, 'invalid_cursor', 'The stream position in `since` or Last-Event-ID is not one this service handed out: pass back an event\'s `id` unchanged, `0` for everything, or `now`.')
    }
  })
  answerOtherMethods(fastify, '/zerglings/_changes', ['GET'])
}

export default changesRoutes
