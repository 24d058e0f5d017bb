// The zergling API, compatible with the seed's curl session. Handlers only translate HTTP to the
// domain and the store: rules live in src/domain, storage (group commit, conflict retries,
// idempotency records) in src/store.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { parseCommands } from '../../domain/command.js'
import type { Command } from '../../domain/zergling.js'
import { isZerglingId } from '../../domain/zergling-id.js'
import { decodeHistoryCursor, encodeHistoryCursor } from '../../store/cursors.js'
import { zerglingNotFound } from '../api-error.js'
import { parseCommandText } from '../any-content-type.js'
import { noneMatchNames, pinnedRevisions } from '../entity-tags.js'
import { answerOtherMethods } from '../method-not-allowed.js'
import { answer, errorAnswers, HEADERS, NotModified } from '../responses.js'
import {
  CommandBody, CommandHeaders, DEFAULT_HISTORY_PAGE, DEFAULT_LIST_LIMIT, DeleteHeaders, HistoryPage, HistoryPageQuery, HistoryQuery,
  IdempotencyHeaders, IdParams, ListQuery, ReadHeaders, ZerglingDetailEnvelope, ZerglingList, ZerglingSummaryEnvelope, type IdParamsInput
} from '../frozen-schemas.js'
import { detail, historyView, linkHistory, markReplay, tagged } from './zergling-answers.js'

const tags = ['zerglings']

/**
 * Ids that are not zergling ids never reach the store: it would read them as CouchDB paths.
 * Checked before the body, so an unknown id is 404 whatever was sent with it. A callback hook:
 * it runs on every request, and an async one would cost a promise each time.
 */
function checkId (request: { params: unknown }, _reply: unknown, done: (error?: Error) => void): void {
  if (isZerglingId((request.params as IdParamsInput).id)) done()
  else done(zerglingNotFound())
}

declare module 'fastify' {
  interface FastifyRequest {
    /** A command request's body, parsed once by the domain before schema validation. */
    commands?: Command[]
  }
}

/**
 * Runs before schema validation: the body arrives as text whatever its content type, and the
 * domain's parser gives a person a better sentence than the schema validator would. The command
 * string stays the body (what the schema and /openapi.json describe); its commands go beside it.
 */
async function parseCommandBody (request: FastifyRequest): Promise<void> {
  const body = parseCommandText(request.body, request.headers['content-type'])
  request.commands = parseCommands(body)
  request.body = body
}

const zerglingRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { store, metrics } = fastify

  fastify.post('/zerglings/', {
    schema: {
      tags,
      operationId: 'spawnZergling',
      summary: 'Spawn a zergling at (0,0) facing N',
      description: 'Any request body is ignored (the seed sends `-d\'M\'`). `/zerglings/`, with the slash as the seed spells it, is the same operation.',
      headers: IdempotencyHeaders,
      response: {
        201: answer(ZerglingSummaryEnvelope, 'Spawned (or, with an Idempotency-Key seen before, the zergling that key spawned).', { location: HEADERS.location, etag: HEADERS.etag, 'idempotent-replayed': HEADERS.idempotentReplayed }),
        ...errorAnswers(400, 413, 500, 503)
      }
    }
  }, async (request, reply) => {
    const { id, location, facing } = tagged(reply, markReplay(reply, await store.spawn({ idempotencyKey: request.headers['idempotency-key'] })))
    return await reply.code(201).header('location', `/zerglings/${id}`).send({ zergling: { id, location, facing } })
  })

  fastify.get('/zerglings/', {
    schema: {
      tags,
      operationId: 'listZerglings',
      summary: 'List zerglings, a page at a time, in id order',
      description: '`/zerglings/`, with the slash as the seed spells it, is the same operation.',
      querystring: ListQuery,
      response: { 200: answer(ZerglingList, 'One page of zerglings, without their histories.'), ...errorAnswers(400, 500, 503) }
    }
  }, async (request) => {
    const page = await store.list({ limit: request.query.limit ?? DEFAULT_LIST_LIMIT, cursor: request.query.cursor })
    return { zerglings: page.zerglings.map(({ id, location, facing }) => ({ id, location, facing })), next: page.next }
  })

  fastify.get('/zerglings/:id', {
    schema: {
      tags,
      operationId: 'getZergling',
      summary: 'Read one zergling, with its command history and revision',
      params: IdParams,
      querystring: HistoryQuery,
      headers: ReadHeaders,
      response: {
        200: answer(ZerglingDetailEnvelope, 'The zergling as stored now.', { etag: HEADERS.etag, link: HEADERS.link }),
        304: NotModified,
        ...errorAnswers(400, 404, 500, 503)
      }
    },
    preValidation: checkId
  }, async (request, reply) => {
    const zergling = tagged(reply, await store.get(request.params.id, historyView(request.query.history)))
    // RFC 9110 §13.1.2: the client has this revision already.
    if (noneMatchNames(request.headers['if-none-match'], zergling.rev)) return await reply.code(304).send()
    return { zergling: detail(linkHistory(reply, zergling)) }
  })

  fastify.get('/zerglings/:id/history', {
    schema: {
      tags,
      operationId: 'getZerglingHistory',
      summary: 'Read a zergling\'s command history page by page, oldest first',
      params: IdParams,
      querystring: HistoryPageQuery,
      response: { 200: answer(HistoryPage, 'One page of the history.'), ...errorAnswers(400, 404, 500, 503) }
    },
    preValidation: checkId
  }, async (request) => {
    const offset = decodeHistoryCursor(request.query.cursor)
    const { commands, total } = await store.history(request.params.id, { offset, limit: request.query.limit ?? DEFAULT_HISTORY_PAGE })
    const end = offset + commands.length
    return { history: commands, total, next: end < total ? encodeHistoryCursor(end) : undefined }
  })

  for (const [url, operationId, summary] of [
    ['/zerglings/:id', 'commandZergling', 'Give a zergling one or more commands'],
    ['/zerglings/:id/_action', 'commandZerglingAction', 'The same as POST /zerglings/{id} (the original README\'s path)']
  ] as const) {
    fastify.post(url, {
      schema: {
        tags,
        operationId,
        summary,
        params: IdParams,
        querystring: HistoryQuery,
        headers: CommandHeaders,
        body: CommandBody,
        response: {
          200: answer(ZerglingDetailEnvelope, 'The zergling right after these commands (or, replayed, after the first request with this Idempotency-Key).', { etag: HEADERS.etag, 'idempotent-replayed': HEADERS.idempotentReplayed, link: HEADERS.link }),
          ...errorAnswers(400, 404, 412, 413, 422, 500, 503)
        }
      },
      preValidation: [checkId, parseCommandBody]
    }, async (request, reply) => {
      const commands = request.commands!
      const outcome = await store.command(request.params.id, {
        commands,
        history: historyView(request.query.history),
        idempotencyKey: request.headers['idempotency-key'],
        ifMatch: pinnedRevisions(request.headers['if-match'])
      })
      if (!outcome.replayed) metrics.commandsApplied.inc(commands.length)
      return { zergling: detail(linkHistory(reply, tagged(reply, markReplay(reply, outcome)))) }
    })
  }

  fastify.delete('/zerglings/:id', {
    schema: {
      tags,
      operationId: 'deleteZergling',
      summary: 'Delete a zergling; answers its last state',
      params: IdParams,
      querystring: HistoryQuery,
      headers: DeleteHeaders,
      response: { 200: answer(ZerglingDetailEnvelope, 'Deleted; this was its last state.', { link: HEADERS.link }), ...errorAnswers(400, 404, 412, 500, 503) }
    },
    preValidation: checkId
  }, async (request, reply) => {
    // No ETag on the answer: it shows the last state of a zergling that is no more.
    const ifMatch = pinnedRevisions(request.headers['if-match'])
    return { zergling: detail(linkHistory(reply, await store.remove(request.params.id, historyView(request.query.history), { ifMatch }))) }
  })

  answerOtherMethods(fastify, '/zerglings/', ['GET', 'POST'])
  answerOtherMethods(fastify, '/zerglings/:id', ['GET', 'POST', 'DELETE'])
  answerOtherMethods(fastify, '/zerglings/:id/_action', ['POST'])
  answerOtherMethods(fastify, '/zerglings/:id/history', ['GET'])
}

export default zerglingRoutes
