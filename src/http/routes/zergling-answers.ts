// What a zergling route answers, from what the store gives: the body's shape and the headers
// that describe it (ETag, Link, Idempotent-Replayed).
import type { FastifyReply } from 'fastify'
import type { HistoryView, Outcome, StoredZergling } from '../../store/zergling-store.js'
import { entityTag } from '../entity-tags.js'
import { DEFAULT_HISTORY_COMMANDS } from '../frozen-schemas.js'

export function detail ({ id, location, facing, commandHistory, historyLength, rev }: StoredZergling) {
  return { id, location, facing, commandHistory, historyLength, _rev: rev }
}

export function historyView (history: string | undefined): HistoryView {
  if (history === undefined) return { last: DEFAULT_HISTORY_COMMANDS }
  return history === 'all' || history === 'none' ? history : { last: Number(history) }
}

/** An answer whose default history was cut says where the rest is (RFC 8288). */
export function linkHistory (reply: FastifyReply, zergling: StoredZergling): StoredZergling {
  if (zergling.commandHistory !== undefined && zergling.commandHistory.length < zergling.historyLength) {
    reply.header('link', `</zerglings/${zergling.id}/history>; rel="history"`)
  }
  return zergling
}

/** The answer shows this revision of the zergling: its ETag (entity-tags.ts). */
export function tagged<T extends { rev: string }> (reply: FastifyReply, zergling: T): T {
  reply.header('etag', entityTag(zergling.rev))
  return zergling
}

/** https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ */
export function markReplay<T> (reply: FastifyReply, outcome: Outcome<T>): T {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true')
  return outcome.result
}
