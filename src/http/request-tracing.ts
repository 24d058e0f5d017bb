// One server span per request, `METHOD route` (https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-server),
// the child of the `traceparent` a caller sent, and its trace id in every log line of the request.
//
// The span starts in Fastify's childLoggerFactory, the first code that sees a request (before the
// "incoming request" line is logged), so the request's logger is a pino child bound to its ids:
// every line, the route's own, the error handler's and "request completed", carries them at no
// cost per line. The onRequest hook then names the span by its route and runs the rest of the
// request inside the span's context, so that CouchDB calls made for it become its children.
// Off, none of this is installed (app.ts).
import type { IncomingMessage } from 'node:http'
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api'
import { ATTR_CLIENT_ADDRESS, ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH, ATTR_URL_SCHEME, ATTR_USER_AGENT_ORIGINAL } from '@opentelemetry/semantic-conventions'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'

interface Traced { span: Span, context: Context }

/** The field names of the ids in log lines (the OpenTelemetry log data model's, in snake case). */
export const TRACE_ID_FIELD = 'trace_id'
export const SPAN_ID_FIELD = 'span_id'

/** Fastify's options and the hooks that trace every request with `tracer`. */
export function requestTracing (tracer: Tracer): { childLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']>, install: (fastify: FastifyInstance) => void } {
  // Keyed by the raw request: the logger factory gets nothing else, and it goes with the request.
  const spans = new WeakMap<IncomingMessage, Traced>()

  const childLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options, raw) => {
    const request = raw as IncomingMessage
    const method = request.method ?? 'GET'
    const parent = propagation.extract(ROOT_CONTEXT, request.headers)
    const span = tracer.startSpan(method, {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_URL_PATH]: (request.url ?? '/').split('?')[0],
        [ATTR_URL_SCHEME]: 'http',
        [ATTR_CLIENT_ADDRESS]: request.socket.remoteAddress,
        [ATTR_USER_AGENT_ORIGINAL]: request.headers['user-agent'],
        // X-Request-Id (request-id.ts) next to the trace: either finds the other.
        'overmind.request_id': String(bindings.reqId)
      }
    }, parent)
    spans.set(request, { span, context: trace.setSpan(parent, span) })
    const { traceId, spanId } = span.spanContext()
    return logger.child({ ...bindings, [TRACE_ID_FIELD]: traceId, [SPAN_ID_FIELD]: spanId }, options)
  }

  function install (fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      const traced = spans.get(request.raw)
      if (traced === undefined) {
        done()
        return
      }
      const { span } = traced
      // Unrouted requests (404) keep the method alone: a path would make one name per URL.
      const route = request.routeOptions.url
      if (route !== undefined) {
        span.updateName(`${request.method} ${route}`)
        span.setAttribute(ATTR_HTTP_ROUTE, route)
      }
      // The body is read in the request's stream events. Node 20 runs them in the context set
      // here even for a body that arrives later (tracing.test.ts sends one 100 ms after its
      // headers); bound, they do so on a runtime that would not, for a few wrapped listeners.
      context.bind(traced.context, request.raw)
      // 'close' comes after the answer is sent and also when the client went away first.
      reply.raw.once('close', () => { endSpan(span, reply.raw.statusCode, reply.raw.writableFinished) })
      context.with(traced.context, done)
    })
  }

  return { childLoggerFactory, install }
}

function endSpan (span: Span, status: number, finished: boolean): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
  // Server spans: a 5xx is the service's error, a 4xx the client's (not an error of this span).
  if (status >= 500) {
    span.setAttribute(ATTR_ERROR_TYPE, String(status))
    span.setStatus({ code: SpanStatusCode.ERROR })
  } else if (!finished) {
    span.setAttribute(ATTR_ERROR_TYPE, 'aborted')
  }
  span.end()
}
