// The backoff after refused credentials, on a fake clock.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AUTH_RETRY, createAuthBackoff } from '../../src/store/auth-backoff.js'

function backoffOnFakeClock (): { backoff: ReturnType<typeof createAuthBackoff<string>>, clock: { ms: number } } {
  const clock = { ms: 0 }
  return { backoff: createAuthBackoff<string>({ now: () => clock.ms }), clock }
}

/** Every caller tries at every millisecond step for `forMs`; returns when attempts were let through. */
function hammer (backoff: ReturnType<typeof createAuthBackoff<string>>, clock: { ms: number }, forMs: number, stepMs = 50): number[] {
  const attempts: number[] = []
  for (const end = clock.ms + forMs; clock.ms < end; clock.ms += stepMs) {
    if (backoff.admit() === undefined) {
      attempts.push(clock.ms)
      backoff.rejected('wrong password')
    }
  }
  return attempts
}

describe('the auth backoff', () => {
  it('when nothing was refused, then every caller goes ahead', () => {
    const { backoff } = backoffOnFakeClock()
    for (let i = 0; i < 10; i++) assert.equal(backoff.admit(), undefined)
  })

  it('when credentials are refused, then callers fail at once with the refusal until the pause is over', () => {
    const { backoff, clock } = backoffOnFakeClock()
    backoff.rejected('wrong password')
    assert.equal(backoff.admit(), 'wrong password')
    clock.ms = 999
    assert.equal(backoff.admit(), 'wrong password')
    clock.ms = 1000
    assert.equal(backoff.admit(), undefined, 'one attempt after the shortest first pause')
    assert.equal(backoff.admit(), 'wrong password', 'the others do not try while it is out')
  })

  it('when every request of busy minutes would try a wrong password, then a handful of attempts a minute reach CouchDB, never more than 15 s apart', () => {
    const { backoff, clock } = backoffOnFakeClock()
    const attempts = hammer(backoff, clock, 180_000)
    assert.deepEqual(attempts.filter((at) => at < 10_000), [0, 1000, 3000, 7000])
    assert.ok(attempts.filter((at) => at < 60_000).length <= 7, `in the first minute: ${attempts.join(', ')}`)
    assert.equal(attempts.filter((at) => at >= 120_000).length, 4, `in the third minute: ${attempts.join(', ')}`)
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!)
    assert.equal(Math.max(...gaps), AUTH_RETRY.maxMs)
  })

  it('when the attempt after the pause is accepted, then everyone goes ahead again and a later refusal starts from the short pause', () => {
    const { backoff, clock } = backoffOnFakeClock()
    hammer(backoff, clock, 60_000)
    clock.ms += AUTH_RETRY.maxMs
    assert.equal(backoff.admit(), undefined)
    backoff.accepted()
    assert.equal(backoff.admit(), undefined)
    assert.equal(backoff.admit(), undefined)
    backoff.rejected('locked')
    clock.ms += 1000
    assert.equal(backoff.admit(), undefined)
  })

  it('when the attempt ends without a verdict, then the next caller may try at once', () => {
    const { backoff, clock } = backoffOnFakeClock()
    backoff.rejected('wrong password')
    clock.ms = 1000
    assert.equal(backoff.admit(), undefined)
    backoff.released()
    assert.equal(backoff.admit(), undefined)
  })

  it('when calls that set out before the refusal come back, then only the attempt moves the backoff', () => {
    const { backoff, clock } = backoffOnFakeClock()
    backoff.rejected('wrong password')
    backoff.accepted()
    backoff.rejected('wrong password')
    backoff.rejected('wrong password')
    clock.ms = 500
    assert.equal(backoff.admit(), 'wrong password')
    clock.ms = 1000
    assert.equal(backoff.admit(), undefined, 'the pause is still the first one')
  })
})
