// The zergling API, compatible with the seed's curl session. Handlers only translate HTTP to the
// domain and the store: rules live in src/domain, storage (and its conflict retries) in src/store.
import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { applyCommands, parseCommands } from '../../domain/command.js'
import { spawnZergling } from '../../domain/zergling.js'
import { isZerglingId } from '../../domain/zergling-id.js'
import type { StoredZergling } from '../../store/zergling-store.js'
import { zerglingNotFound } from '../api-error.js'
import { parseJsonBody } from '../any-content-type.js'
import { answerOtherMethods } from '../method-not-allowed.js'
import {
  CommandBody, ERROR_RESPONSES, IdParams, ListQuery, ZerglingDetailEnvelope, ZerglingList, type IdParamsInput,
  ZerglingSummaryEnvelope
} from '../schemas.js'

const tags = ['zerglings']

function detail (zergling: StoredZergling) {
  const { id, location, facing, commandHistory, rev } = zergling
  return { id, location, facing, commandHistory, _rev: rev }
}

/**
 * Ids that are not zergling ids never reach the store: it would read them as CouchDB paths.
 * Checked before the body, so an unknown id is 404 whatever was sent with it.
 */
async function checkId (request: { params: unknown }): Promise<void> {
  if (!isZerglingId((request.params as IdParamsInput).id)) throw zerglingNotFound()
}

/**
 * Runs before schema validation: the body arrives as text whatever its content type, and the
 * domain's parser gives a person a better sentence than the schema validator would.
 */
async function parseCommandBody (request: { body: unknown }): Promise<void> {
  request.body = parseCommands(parseJsonBody(request.body)).join('')
}

const zerglingRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { store, metrics } = fastify

  fastify.post('/zerglings/', {
    schema: {
      tags,
      summary: 'Spawn a zergling at (0,0) facing N',
      description: 'Any request body is ignored (the seed sends `-d\'M\'`).',
      response: { 201: ZerglingSummaryEnvelope, ...ERROR_RESPONSES }
    }
  }, async (_request, reply) => {
    const { id, location, facing } = await store.create(spawnZergling(randomUUID()))
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
      response: { 200: ZerglingDetailEnvelope, ...ERROR_RESPONSES }
    },
    preValidation: checkId
  }, async (request) => {
    return { zergling: detail(await store.get(request.params.id)) }
  })

  const command = {
    schema: {
      tags,
      summary: 'Give a zergling one or more commands',
      params: IdParams,
      body: CommandBody,
      response: { 200: ZerglingDetailEnvelope, ...ERROR_RESPONSES }
    },
    preValidation: [checkId, parseCommandBody]
  }
  const giveCommands = async (request: { params: IdParamsInput, body: string }) => {
    const commands = parseCommands(request.body)
    const updated = await store.update(request.params.id, (current) => applyCommands(current, commands))
    metrics.commandsApplied.inc(commands.length)
    return { zergling: detail(updated) }
  }
  fastify.post('/zerglings/:id', command, giveCommands)
  fastify.post('/zerglings/:id/_action', { ...command, schema: { ...command.schema, summary: 'The same as POST /zerglings/{id} (the original README\'s path)' } }, giveCommands)

  fastify.delete('/zerglings/:id', {
    schema: {
      tags,
      summary: 'Delete a zergling; answers its last state',
      params: IdParams,
      response: { 200: ZerglingDetailEnvelope, ...ERROR_RESPONSES }
    },
    preValidation: checkId
  }, async (request) => {
    return { zergling: detail(await store.remove(request.params.id)) }
  })

  answerOtherMethods(fastify, '/zerglings/', ['GET', 'POST'])
  answerOtherMethods(fastify, '/zerglings/:id', ['GET', 'POST', 'DELETE'])
  answerOtherMethods(fastify, '/zerglings/:id/_action', ['POST'])
}

export default zerglingRoutes
