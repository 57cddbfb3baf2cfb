import { httpInstrumentationMiddleware } from "@hono/otel";
import type { Tracer, TracerProvider } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import { VERSION } from "./tracing.ts";

export interface HttpTracingOptions {
  /** Tracer for the server spans. Default: from `tracerProvider`, else the global provider. */
  tracer?: Tracer;
  tracerProvider?: TracerProvider;
  /** `service.name` attribute. Default `"deeprecall"`. */
  serviceName?: string;
}

/**
 * One OpenTelemetry SERVER span per HTTP request (`POST /v1/chat/completions`, named by the
 * matched route; W3C `traceparent` from the client is honoured), via Hono's own `@hono/otel`.
 * The span is active while the handler runs, so engine spans from `OpenTelemetryCallback` nest
 * under it (given an async context manager, as every Node SDK setup registers). Status ≥ 500
 * marks the span as an error. For a streamed answer the span ends when streaming starts.
 */
export function httpTracing(options: HttpTracingOptions = {}): MiddlewareHandler {
  return httpInstrumentationMiddleware({
    ...(options.tracer ? { tracer: options.tracer } : {}),
    ...(options.tracerProvider ? { tracerProvider: options.tracerProvider } : {}),
    serviceName: options.serviceName ?? "deeprecall",
    serviceVersion: VERSION,
  });
}
