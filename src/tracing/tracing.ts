// OpenTelemetry traces for `serve`: a tracer provider with the W3C `traceparent` propagator, an
// AsyncLocalStorage context (so a CouchDB call made while a request is handled knows its request),
// and the undici instrumentation for the CouchDB calls: the store calls CouchDB through undici
// (couch-http.ts), which reports every request on diagnostics_channel — no module patching,
// so it works under ESM, where require-in-the-middle would not see our imports.
//
// Off (the default) this module is not even loaded: no provider, no context manager, no channel subscriber;
// the code that records spans and events calls @opentelemetry/api, whose no-op tracer and root
// context cost a function call (bench/scenarios/tracing.ts measures it).
import { context, propagation, trace, type Tracer } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-node'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import type { TracingConfig } from '../config-types.js'
import { packageVersion } from '../version.js'

export interface Tracing {
  tracer: Tracer
  /** Sends what is still buffered, then unregisters everything (a later start begins clean). */
  shutdown (): Promise<void>
}

/** The instrumentation scope of the spans overmind makes itself (the request spans). */
export const TRACER_NAME = 'overmind'

/**
 * Starts tracing (server.ts loads this module only when `config.enabled`). `exporter` (tests)
 * replaces the configured one and gets every span as it ends (a SimpleSpanProcessor, no delay).
 */
export function startTracing (config: Omit<TracingConfig, 'enabled'>, exporter?: SpanExporter): Tracing {
  const processors: SpanProcessor[] = []
  if (exporter !== undefined) processors.push(new SimpleSpanProcessor(exporter))
  // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and _COMPRESSION
  // itself, as the OTel spec names them; batching keeps the export off the request path.
  else if (config.exporter === 'otlp') processors.push(new BatchSpanProcessor(new OTLPTraceExporter()))
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: packageVersion }),
    spanProcessors: processors
  })
  provider.register({ propagator: new W3CTraceContextPropagator() })
  // Only calls made for a request: the change feed's long-polls and the breaker's probes would
  // otherwise each be a trace of one span, every few seconds, forever.
  const undici = new UndiciInstrumentation({ requireParentforSpans: true })
  undici.setTracerProvider(provider)
  undici.enable()
  return {
    tracer: provider.getTracer(TRACER_NAME, packageVersion),
    async shutdown () {
      undici.disable()
      await provider.shutdown()
      trace.disable()
      context.disable()
      propagation.disable()
    }
  }
}
