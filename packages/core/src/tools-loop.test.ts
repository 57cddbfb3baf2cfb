import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { APICallError } from "ai";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { textStep, toolCallStep } from "./__fixtures__/scripted-model.ts";
import { DeepRecallEngine } from "./engine.ts";
import { getErrorMessage, LLMProviderError } from "./errors.ts";
import type { DeepRecallEngineOptions } from "./options.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function tools(options: Omit<DeepRecallEngineOptions, "vectorStore" | "strategy">) {
  const store = new MemoryStore();
  await store.addDocuments({
    ids: ["acme"],
    documents: ["Acme Corporation was founded by Jane Doe in 1999."],
  });
  const errors: string[] = [];
  const e = new DeepRecallEngine({
    vectorStore: store,
    strategy: "tools",
    grounding: false,
    callbacks: [{ onError: (_ctx, error) => void errors.push(getErrorMessage(error)) }],
    ...options,
  });
  engines.push(e);
  return { engine: e, errors };
}

/** A provider's HTTP failure, as the AI SDK reports it. */
function httpError(statusCode: number, responseHeaders?: Record<string, string>): APICallError {
  return new APICallError({
    message: `HTTP ${statusCode}`,
    url: "https://provider.example/v1/chat/completions",
    requestBodyValues: {},
    statusCode,
    ...(responseHeaders ? { responseHeaders } : {}),
    isRetryable: statusCode >= 500,
  });
}

/** A 503 whose server asks for a 30 s wait (Retry-After). */
const unavailable = () => httpError(503, { "retry-after": "30" });

/** A streaming model whose requests fail with `failures[i]` (when set) before streaming `steps` in order. */
function flakyModel(failures: Array<Error | undefined>, steps: LanguageModelV4StreamPart[][]) {
  let request = 0;
  let step = 0;
  return new MockLanguageModelV4({
    doStream: async () => {
      const failure = failures[request++];
      if (failure) throw failure;
      const parts = steps[step++];
      if (!parts) throw new Error(`flakyModel: no step scripted for request ${request}`);
      return { stream: convertArrayToReadableStream(parts) };
    },
  });
}

describe("tools strategy: model calls go through the run's retry path", () => {
  it("retries a transient failure with retry.baseDelayMs (full jitter below it)", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const model = flakyModel([unavailable()], [textStep("Jane Doe founded Acme.")]);
    const { engine, errors } = await tools({
      model,
      retry: { maxRetries: 2, baseDelayMs: 40, maxDelayMs: 25 },
    });
    const result = await engine.query("Who founded Acme?");
    expect(result.answer).toBe("Jane Doe founded Acme.");
    expect(model.doStreamCalls).toHaveLength(2);
    // The server asked for 30 s; maxDelayMs caps the wait at 25 ms (jitter gave 20 of base 40).
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/retrying \(attempt 2\) in 25 ms/);
  });

  it("waits per baseDelayMs when the server names no wait", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const plain = httpError(502);
    const model = flakyModel([plain], [textStep("Jane Doe founded Acme.")]);
    const { engine, errors } = await tools({ model, retry: { baseDelayMs: 30, maxDelayMs: 1000 } });
    await engine.query("Who founded Acme?");
    expect(errors[0]).toMatch(/in 15 ms/);
  });

  it("retries each step of a multi-step run, and stops after retry.maxRetries", async () => {
    const model = flakyModel(
      [undefined, unavailable()],
      [toolCallStep("c1", { query: "Acme founder" }), textStep("Jane Doe founded Acme.")],
    );
    const { engine } = await tools({ model, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const result = await engine.query("Who founded Acme?");
    expect(result.answer).toBe("Jane Doe founded Acme.");
    expect(model.doStreamCalls).toHaveLength(3);

    const failing = flakyModel([unavailable(), unavailable(), unavailable()], [textStep("never")]);
    const second = await tools({ model: failing, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const error = await second.engine.query("Who founded Acme?").catch((e: unknown) => e);
    expect(LLMProviderError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 503 });
    expect(failing.doStreamCalls).toHaveLength(2);
  });

  it("does not retry a failure that is not transient", async () => {
    const bad = httpError(400);
    const model = flakyModel([bad], [textStep("never")]);
    const { engine } = await tools({ model, retry: { baseDelayMs: 1 } });
    await expect(engine.query("q")).rejects.toMatchObject({ status: 400 });
    expect(model.doStreamCalls).toHaveLength(1);
  });
});
