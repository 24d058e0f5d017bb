// Every shape the HTTP API takes or gives, in one place. Fastify uses these to validate requests,
// to serialise responses (fast-json-stringify drops anything not listed, so no internal field
// leaks) and to generate the OpenAPI document at /openapi.json. The service itself loads them from
// frozen-schemas.ts, the same schemas as plain objects (`npm run schemas` writes it from this
// file; a test fails when it is stale), so that it does not load TypeBox's 700 modules (~200 ms)
// at every start; types come from here.
import { Type, type Static } from 'typebox'
import { MAX_COMMANDS_PER_REQUEST } from '../domain/command.js'

const ZERGLING_ID = 'A lowercase UUID v4, as minted by `POST /zerglings/`.'

export const ZerglingId = Type.String({
  description: ZERGLING_ID,
  examples: ['c4a24574-4ca8-4fbd-93e1-2a648147a71f']
})

export const Location = Type.Object({
  x: Type.Integer(),
  y: Type.Integer()
}, { description: 'Mars-rover grid: `M` facing N is y+1, E x+1, S y-1, W x-1.' })

/**
 * A string out of a few: `enum`, not a union of literals. fast-json-stringify serialises a union
 * (`anyOf`) by running a validator per alternative on every value — for a 1000-command history,
 * up to 3000 validator calls per answer — and OpenAPI 3.0 has no `const` for the literals anyway.
 */
function oneOfStrings<T extends string> (values: readonly T[], description?: string) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description === undefined ? {} : { description }) })
}

export const Facing = oneOfStrings(['N', 'E', 'S', 'W'] as const)

export const CommandLetter = oneOfStrings(['L', 'R', 'M'] as const)

/** What spawning answers: the seed's shape, no history yet. */
export const ZerglingSummary = Type.Object({
  id: ZerglingId,
  location: Location,
  facing: Facing
})

/** A zergling with everything a client may act on: its history and its current revision. */
export const ZerglingDetail = Type.Object({
  id: ZerglingId,
  location: Location,
  facing: Facing,
  commandHistory: Type.Optional(Type.Array(CommandLetter, { description: 'The commands obeyed, one letter per entry, oldest first: all of them by default, the last N with `?history=N`, absent with `?history=none`.' })),
  historyLength: Type.Integer({ minimum: 0, description: 'How many commands it has obeyed in all.' }),
  _rev: Type.String({ description: 'The stored revision after the change this answer shows.' })
})

export const ZerglingSummaryEnvelope = Type.Object({ zergling: ZerglingSummary })
export const ZerglingDetailEnvelope = Type.Object({ zergling: ZerglingDetail })

export const ZerglingList = Type.Object({
  zerglings: Type.Array(ZerglingSummary),
  next: Type.Optional(Type.String({ description: 'Pass back as `cursor` for the next page; absent on the last page.' }))
})

/** Page sizes when a request names none (Ajv fills the default in; handlers fall back to them too). */
export const DEFAULT_LIST_LIMIT = 100
export const DEFAULT_HISTORY_PAGE = 1000

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_LIST_LIMIT, description: 'Page size.' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The `next` value of the previous page.' }))
}, { additionalProperties: false })

export const IdParams = Type.Object({ id: Type.String() })

/**
 * How much history an answer carries by default: all of it up to this many commands (the
 * original's shape), the newest this many beyond, so that the cost of a command's answer does
 * not grow with the history (at 30 000 commands the whole history was 120 KB per answer).
 */
export const DEFAULT_HISTORY_COMMANDS = 1000

export const HistoryQuery = Type.Object({
  history: Type.Optional(Type.String({
    pattern: '^(all|none|[0-9]{1,6})$',
    description: `How much of \`commandHistory\` to include: \`all\`, \`none\`, or the last N commands. Without it: all of it up to ${DEFAULT_HISTORY_COMMANDS} commands (as the original), else the newest ${DEFAULT_HISTORY_COMMANDS}, with a \`Link: <…/history>; rel="history"\` header; \`historyLength\` always says how many there are. The whole history is cheapest page by page at \`/zerglings/{id}/history\`.`
  }))
}, { additionalProperties: false })

export const HistoryPageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: DEFAULT_HISTORY_PAGE, description: 'Commands per page.' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The `next` value of the previous page.' }))
}, { additionalProperties: false })

export const HistoryPage = Type.Object({
  history: Type.Array(CommandLetter, { description: 'Commands in the order they were obeyed.' }),
  total: Type.Integer({ minimum: 0, description: 'The history\'s length when this page was read.' }),
  next: Type.Optional(Type.String({ description: 'Pass back as `cursor` for the next page; absent at the end.' }))
})

const IdempotencyKey = Type.Optional(Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[\\x20-\\x7e]+$',
  description: 'Makes a retry safe: a repeat with the same key (and the same body) answers the first response again, with `Idempotent-Replayed: true`, and applies nothing. Keys are kept per zergling (the last 100).'
}))

/** Parsed by entity-tags.ts, which answers a malformed one with a sentence. */
const IfMatch = Type.Optional(Type.String({
  maxLength: 8000,
  description: 'Act only if the zergling is still at this revision: its ETag as a GET or a command answered it (`"3-…"`, quotes included), or several separated by commas. Otherwise 412 and nothing changes; `*` only asks that it exists.'
}))

export const IdempotencyHeaders = Type.Object({ 'idempotency-key': IdempotencyKey })
export const CommandHeaders = Type.Object({ 'idempotency-key': IdempotencyKey, 'if-match': IfMatch })
export const DeleteHeaders = Type.Object({ 'if-match': IfMatch })
export const ReadHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({
    maxLength: 8000,
    description: 'The ETag of the copy the client has: 304 with no body when the zergling is still at that revision.'
  }))
})

export const CommandBody = Type.String({
  pattern: '^[LRM]+$',
  minLength: 1,
  maxLength: MAX_COMMANDS_PER_REQUEST,
  description: 'A JSON string of one or more commands, applied in order as one change: `"L"` turns left, `"R"` right, `"M"` moves one step; `"LMLMM"` does all five. Accepted whatever the Content-Type (`curl -d` sends form-urlencoded); unless the Content-Type is JSON, the bare letters (`curl -d LMLMM`) are accepted too.',
  examples: ['M', 'LMLMM']
})

/** The longest position a changes stream takes: CouchDB's grow with a cluster's shards (Node takes 16 KiB of headers). */
export const MAX_STREAM_POSITION_LENGTH = 8000

const STREAM_POSITION = 'an event\'s `id` from this stream (any replica\'s), `0` for every zergling\'s latest state first, or `now`.'

export const ChangesQuery = Type.Object({
  since: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_STREAM_POSITION_LENGTH, description: `Where the stream starts: ${STREAM_POSITION} Default \`now\`; a \`Last-Event-ID\` header wins over it.` }))
}, { additionalProperties: false })

export const ChangesHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: MAX_STREAM_POSITION_LENGTH, description: `Sent by a reconnecting EventSource: the stream resumes after it. ${STREAM_POSITION}` }))
})

/** An event's id: no `examples` there, which an OpenAPI 3.0 schema inside `content` may not hold. */
const EventZerglingId = Type.String({ description: ZERGLING_ID })

/** The `data:` of a change event: the zergling's state after the change. */
export const ZerglingEvent = Type.Union([
  Type.Object({
    type: Type.Union([Type.Literal('spawned'), Type.Literal('moved')]),
    zergling: Type.Object({
      id: EventZerglingId,
      location: Location,
      facing: Facing,
      historyLength: Type.Integer({ minimum: 0 }),
      commandHistory: Type.Array(CommandLetter, { description: 'Its last commands, oldest first: up to 20 (fewer right after every 1000th, when the others went to the archive).' }),
      _rev: Type.String()
    })
  }),
  Type.Object({
    type: Type.Literal('deleted'),
    zergling: Type.Object({ id: EventZerglingId, _rev: Type.String() })
  })
])

/** What a `_rev` in a 412 is. */
export const PreconditionFailedBody = Type.Object({
  error: Type.String({ description: '`precondition_failed`.' }),
  reason: Type.String({ description: 'A sentence a person understands.' }),
  _rev: Type.String({ description: 'The zergling\'s current revision, also sent as the ETag.' })
})

/** What `POST /readyz/disable` and `/readyz/enable` answer. */
export const ReadinessSwitchState = Type.Object({
  status: Type.Union([Type.Literal('disabled'), Type.Literal('enabled')]),
  reason: Type.Optional(Type.String())
})

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'A stable, machine-readable code.' }),
  reason: Type.String({ description: 'A sentence a person understands.' })
})

export const Health = Type.Object({
  health: Type.Object({
    version: Type.String(),
    brain: Type.Union([Type.Literal('ok'), Type.Literal('damaged')])
  })
})

export const Probe = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  reason: Type.Optional(Type.String())
})

export type IdParamsInput = Static<typeof IdParams>
