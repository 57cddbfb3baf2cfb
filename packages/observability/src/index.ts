export { type HttpTracingOptions, httpTracing } from "./http.ts";
export { createMetrics, type Metrics, type MetricsOptions } from "./metrics.ts";
export { OpenTelemetryCallback, type OpenTelemetryCallbackOptions, TRACER_NAME } from "./tracing.ts";
