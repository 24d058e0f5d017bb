// The tracing variables: off unless asked for or an OTLP endpoint is set, `off` winning over an
// endpoint, the service name defaulting to overmind, bad values refused naming the variable.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadConfig } from '../src/config.js'

const refusedNaming = (name: string) => (error: unknown): boolean => error instanceof ConfigError && error.message.includes(name)

describe('tracing configuration', () => {
  it('when nothing is set, then tracing is off', () => {
    assert.deepEqual(loadConfig({}).tracing, { enabled: false, exporter: 'none', serviceName: 'overmind' })
  })

  it('when an OTLP endpoint is set, then traces are on and exported; OVERMIND_TRACING=off still turns them off', () => {
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318', OTEL_SERVICE_NAME: 'overmind-eu' }).tracing, { enabled: true, exporter: 'otlp', serviceName: 'overmind-eu' })
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318', OVERMIND_TRACING: 'off' }).tracing.enabled, false)
  })

  it('when OVERMIND_TRACING=on without an endpoint, then traces are recorded and sent nowhere', () => {
    assert.deepEqual(loadConfig({ OVERMIND_TRACING: 'on' }).tracing, { enabled: true, exporter: 'none', serviceName: 'overmind' })
  })

  it('when a value is malformed, then start-up stops with a sentence naming the variable', () => {
    assert.throws(() => loadConfig({ OVERMIND_TRACING: 'yes' }), refusedNaming('OVERMIND_TRACING'))
    assert.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318' }), refusedNaming('OTEL_EXPORTER_OTLP_ENDPOINT'))
  })
})
