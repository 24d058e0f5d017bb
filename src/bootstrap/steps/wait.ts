// `wait`: until CouchDB answers. Polls `/_up` (2.x/3.x), falling back to `/` when the server has
// no `/_up` (1.x answers it with a 4xx), with exponential backoff and jitter.
// https://docs.couchdb.org/en/stable/api/server/common.html#up
import { poll, WAIT_BACKOFF } from '../backoff.js'
import type { CouchResponse } from '../couch-client.js'
import { describeResponse } from '../couch-client.js'
import { BootstrapError } from '../bootstrap-error.js'
import { type Step, type StepContext } from '../types.js'

async function probe (context: StepContext, path: string, remainingMs: number): Promise<CouchResponse> {
  return await context.couch.request('GET', path, {
    auth: 'anonymous',
    // Near the deadline a probe still gets 200 ms, so the last error is CouchDB's, not our clock's.
    timeoutMs: Math.min(Math.max(remainingMs, 200), context.settings.requestTimeoutMs)
  })
}

export const waitStep: Step<'wait'> = {
  name: 'wait',
  describe: 'wait until CouchDB answers (/_up, or / on 1.x)',
  async check (context) {
    const { url, waitTimeoutMs } = context.settings
    const started = Date.now()
    let lastError = 'no attempt finished'
    const { value, attempts } = await poll(async (remainingMs) => {
      try {
        let response = await probe(context, '/_up', remainingMs)
        // 1.x has no /_up (it reads as a database name): ask for the welcome document instead.
        if (response.status === 400 || response.status === 404) response = await probe(context, '/', remainingMs)
        // Any answer from CouchDB itself means it is up; 401 included (a server requiring auth).
        if (response.status === 200 || response.status === 401) return true
        lastError = `it answered ${describeResponse(response)}`
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error)
      }
      context.log(`waiting for CouchDB at ${url}: ${lastError}`)
      return undefined
    }, { timeoutMs: waitTimeoutMs, policy: WAIT_BACKOFF, sleep: context.sleep, random: context.random })
    if (value === undefined) {
      throw new BootstrapError(`CouchDB at ${url} was not up after ${seconds(waitTimeoutMs)} (${attempts} attempts); last error: ${lastError}`)
    }
    return { status: 'unchanged', message: `CouchDB at ${url} is up (after ${attempts} attempt${attempts === 1 ? '' : 's'}, ${seconds(Date.now() - started)}).` }
  }
}

function seconds (ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}
