// The operator's drain switch, as podinfo has it: POST /readyz/disable takes this replica out of
// rotation (/readyz answers 503, so the kubelet marks the pod unready and the Service stops
// sending it new requests) while everything else keeps serving and what is in flight finishes;
// POST /readyz/enable puts it back. Both need the admin token (OVERMIND_ADMIN_TOKEN_FILE); without
// one configured they are not registered at all, so they answer 404 like any unknown path.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { BearerToken } from '../../token-file.js'
import { checkBearer } from '../bearer-auth.js'
import { answer } from '../responses.js'
import { ErrorBody, ReadinessSwitchState as SwitchState } from '../frozen-schemas.js'

export interface ReadinessSwitch {
  /** True while an operator has taken this replica out of rotation. */
  disabled (): boolean
  set (disabled: boolean): void
}

/** The switch's state; `onChange` mirrors it into the metrics gauge. */
export function createReadinessSwitch (onChange: (disabled: boolean) => void = () => {}): ReadinessSwitch {
  let disabled = false
  return {
    disabled: () => disabled,
    set (next) {
      disabled = next
      onChange(next)
    }
  }
}

export const OPERATOR_DISABLED_REASON = 'Taken out of rotation by an operator (POST /readyz/disable); POST /readyz/enable puts it back.'

export interface ReadinessSwitchOptions {
  readiness: ReadinessSwitch
  adminToken: BearerToken
}

const readinessSwitchRoutes: FastifyPluginAsyncTypebox<ReadinessSwitchOptions> = async (fastify, { readiness, adminToken }) => {
  fastify.addHook('onRequest', async (request) => { checkBearer(request, adminToken, 'the admin token (OVERMIND_ADMIN_TOKEN_FILE)') })
  const responses = {
    200: answer(SwitchState, 'The replica\'s readiness switch as it is now.'),
    401: answer(ErrorBody, 'Unauthorized: no `Authorization: Bearer <admin token>`, or another token; with `WWW-Authenticate: Bearer`. Nothing was changed.', { 'www-authenticate': { type: 'string', description: '`Bearer realm="overmind"`' } })
  }

  fastify.post('/readyz/disable', {
    schema: { tags: ['health'], operationId: 'disableReadiness', security: [{ adminToken: [] }], summary: 'Take this replica out of rotation: /readyz answers 503, everything else keeps serving (admin token)', response: responses }
  }, async (request) => {
    readiness.set(true)
    request.log.warn('readiness disabled by an operator: /readyz answers 503 until POST /readyz/enable')
    return { status: 'disabled' as const, reason: OPERATOR_DISABLED_REASON }
  })

  fastify.post('/readyz/enable', {
    schema: { tags: ['health'], operationId: 'enableReadiness', security: [{ adminToken: [] }], summary: 'Put this replica back into rotation (admin token)', response: responses }
  }, async (request) => {
    readiness.set(false)
    request.log.warn('readiness enabled by an operator')
    return { status: 'enabled' as const }
  })
}

export default readinessSwitchRoutes
