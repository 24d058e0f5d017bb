// @ts-check
// The two API calls the page makes, with the API's errors (`{"error","reason"}`) as exceptions.

/** @typedef {import('./swarm.js').ZerglingState} ZerglingState */

export class ApiProblem extends Error {
  /** @param {number} status @param {string} error @param {string} reason */
  constructor (status, error, reason) {
    super(reason)
    this.status = status
    this.error = error
  }
}

/** @param {string} url @param {RequestInit} init @returns {Promise<ZerglingState>} */
async function send (url, init) {
  let response
  try {
    response = await fetch(url, init)
  } catch {
    throw new ApiProblem(0, 'unreachable', 'overmind cannot be reached; check the connection or the port-forward.')
  }
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new ApiProblem(response.status, body.error ?? 'error', body.reason ?? `overmind answered ${response.status}.`)
  return body.zergling
}

export async function spawnZergling () {
  return await send('/zerglings/', { method: 'POST' })
}

/** Its last 20 commands come back with it: enough for the trail. @param {string} id @param {string} commands */
export async function commandZergling (id, commands) {
  return await send(`/zerglings/${encodeURIComponent(id)}?history=20`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(commands)
  })
}

/** Why the brain is unavailable, as readiness says it; undefined when it is ready. */
export async function brainTrouble () {
  try {
    const response = await fetch('/readyz')
    if (response.ok) return undefined
    const { reason } = await response.json()
    return typeof reason === 'string' ? reason : 'overmind is not ready.'
  } catch {
    return 'overmind cannot be reached; check the connection or the port-forward.'
  }
}
