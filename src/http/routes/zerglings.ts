// The zergling API, compatible with the seed's curl session. Handlers only translate HTTP to the
// domain and the store: rules live in src/domain, storage (group commit, conflict retries,
// idempotency records) in src/store.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parseCommands } from '../../domain/command.js'
import type { Command } from '../../domain/zergling.js'
import { isZerglingId } from '../../domain/zergling-id.js'
import { decodeHistoryCursor, encodeHistoryCursor } from '../../store/cursors.js'
import type { HistoryView, Outcome, StoredZergling } from '../../store/zergling-store.js'
import { zerglingNotFound } from '../api-error.js'
import { parseCommandText } from '../any-content-type.js'
import { answerOtherMethods } from '../method-not-allowed.js'
import {
  CommandBody, DEFAULT_HISTORY_COMMANDS, ERROR_RESPONSES, HistoryPage, HistoryPageQuery, HistoryQuery, IdempotencyHeaders, IdParams, ListQuery,
  ZerglingDetailEnvelope, ZerglingList, ZerglingSummaryEnvelope, type IdParamsInput
} from '../schemas.js'

const tags = ['zerglings']

function detail ({ id, location, facing, commandHistory, historyLength, rev }: StoredZergling) {
  return { id, location, facing, commandHistory, historyLength, _rev: rev }
}

function historyView (history: string | undefined): HistoryView {
  if (history === undefined) return { last: DEFAULT_HISTORY_COMMANDS }
  return history === 'all' || history === 'none' ? history : { last: Number(history) }
}

/** An answer whose default history was cut says where the rest is (RFC 8288). */
function linkHistory (reply: FastifyReply, zergling: StoredZergling): StoredZergling {
  if (zergling.commandHistory !== undefined && zergling.commandHistory.length < zergling.historyLength) {
    reply.header('link', `</zerglings/${zergling.id}/history>; rel="history"`)
  }
  return zergling
}

/** https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ */
function markReplay<T> (reply: FastifyReply, outcome: Outcome<T>): T {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true')
  return outcome.result
}

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
      summary: 'Spawn a zergling at (0,0) facing N',
      description: 'Any request body is ignored (the seed sends `-d\'M\'`).',
      headers: IdempotencyHeaders,
      response: { 201: ZerglingSummaryEnvelope, ...ERROR_RESPONSES }
    }
  }, async (request, reply) => {
    const { id, location, facing } = markReplay(reply, await store.spawn({ idempotencyKey: request.headers['idempotency-key'] }))
    return await reply.code(201).header('location', `/zerglings/${id}`).send({ zergling: { id, location, facing } })
  })

  fastify.get('/zerglings/', {
    schema: {
      tags,
      summary: 'List zerglings, a page at a time, in id order',
      querystring: ListQuery,
      response: { 200: ZerglingList, ...ERROR_RESPONSES }
    }
  }, async (request) => {
    const page = await store.list({ limit: request.query.limit, cursor: request.query.cursor })
    return { zerglings: page.zerglings.map(({ id, location, facing }) => ({ id, location, facing })), next: page.next }
  })

  fastify.get('/zerglings/:id', {
    schema: {
      tags,
      summary: 'Read one zergling, with its command history and revision',
      params: IdParams,
      querystring: HistoryQuery,
      response: { 200: ZerglingDetailEnvelope, ...ERROR_RESPONSES }
    },
    preValidation: checkId
  }, async (request, reply) => {
    return { zergling: detail(linkHistory(reply, await store.get(request.params.id, historyView(request.query.history)))) }
  })

  fastify.get('/zerglings/:id/history', {
    schema: {
      tags,
      summary: 'Read a zergling\'s command history page by page, oldest first',
      params: IdParams,
      querystring: HistoryPageQuery,
      response: { 200: HistoryPage, ...ERROR_RESPONSES }
    },
    preValidation: checkId
  }, async (request) => {
    const offset = decodeHistoryCursor(request.query.cursor)
    const { commands, total } = await store.history(request.params.id, { offset, limit: request.query.limit })
    const end = offset + commands.length
    return { history: commands, total, next: end < total ? encodeHistoryCursor(end) : undefined }
  })

  for (const [url, summary] of [
    ['/zerglings/:id', 'Give a zergling one or more commands'],
    ['/zerglings/:id/_action', 'The same as POST /zerglings/{id} (the original README\'s path)']
  ] as const) {
    fastify.post(url, {
      schema: {
        tags,
        summary,
        params: IdParams,
        querystring: HistoryQuery,
        headers: IdempotencyHeaders,
        body: CommandBody,
        response: { 200: ZerglingDetailEnvelope, ...ERROR_RESPONSES }
      },
      preValidation: [checkId, parseCommandBody]
    }, async (request, reply) => {
      const commands = request.commands!
      const outcome = await store.command(request.params.id, {
        commands,
        history: historyView(request.query.history),
        idempotencyKey: request.headers['idempotency-key']
      })
      if (!outcome.replayed) metrics.commandsApplied.inc(commands.length)
      return { zergling: detail(linkHistory(reply, markReplay(reply, outcome))) }
    })
  }

  fastify.delete('/zerglings/:id', {
    schema: {
      tags,
      summary: 'Delete a zergling; answers its last state',
      params: IdParams,
      querystring: HistoryQuery,
      response: { 200: ZerglingDetailEnvelope, ...ERROR_RESPONSES }
    },
    preValidation: checkId
  }, async (request, reply) => {
    return { zergling: detail(linkHistory(reply, await store.remove(request.params.id, historyView(request.query.history)))) }
  })

  answerOtherMethods(fastify, '/zerglings/', ['GET', 'POST'])
  answerOtherMethods(fastify, '/zerglings/:id', ['GET', 'POST', 'DELETE'])
  answerOtherMethods(fastify, '/zerglings/:id/_action', ['POST'])
  answerOtherMethods(fastify, '/zerglings/:id/history', ['GET'])
}

export default zerglingRoutes
