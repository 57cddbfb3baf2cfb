import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/** A real SDK tracer whose finished spans land in memory, plus async context propagation. */
export function memoryTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return {
    exporter,
    provider,
    tracer: provider.getTracer("test"),
    spans: () => exporter.getFinishedSpans(),
    async shutdown() {
      await provider.shutdown();
      context.disable();
    },
  };
}
