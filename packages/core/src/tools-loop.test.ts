import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { APICallError } from "ai";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { streamingModel, textStep, toolCallStep } from "./__fixtures__/scripted-model.ts";
import { answerPrefixCheck } from "./answer-check.ts";
import { DeepRecallEngine } from "./engine.ts";
import { getErrorMessage, LLMProviderError } from "./errors.ts";
import type { DeepRecallEngineOptions } from "./options.ts";
import { releasable } from "./tools-loop.ts";
import type { EngineEvent } from "./types.ts";

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

/** The events of a streamed query, and its result. */
async function streamed(engine: DeepRecallEngine, question: string) {
  const events: EngineEvent[] = [];
  for await (const ev of engine.stream(question)) events.push(ev);
  const last = events.at(-1) as Extract<EngineEvent, { type: "result" }>;
  const deltas = events.filter((e) => e.type === "answer-delta").map((e) => e.text);
  return { events, deltas, result: last.result };
}

describe("tools strategy: a reply that is not an answer", () => {
  const code = "```repl\nprint(searchDb('Acme founder'))\n```";

  it("is never streamed, and the investigation goes on (the model is told why)", async () => {
    const model = streamingModel([textStep(code, 5), textStep("Jane Doe founded Acme in 1999 [1].", 4)]);
    const { engine } = await tools({ model, grounding: true });
    const { deltas, result } = await streamed(engine, "Who founded Acme?");
    expect(deltas.join("")).toBe("Jane Doe founded Acme in 1999 [1].");
    expect(deltas.join("")).not.toContain("```");
    expect(result.answer).toBe("Jane Doe founded Acme in 1999 [1].");
    expect(result.error).toBeUndefined();
    expect(result.budgetStatus.exceeded).toBe(false);
    expect(result.reasoningTrace).toHaveLength(2);
    expect(JSON.stringify(model.doStreamCalls[1]!.prompt)).toContain("was not accepted as the answer");
  });

  it("streams an accepted reply once, in the model's own chunks", async () => {
    const model = streamingModel([textStep("Jane Doe founded Acme. ", 3)]);
    const { engine } = await tools({ model });
    const { deltas, result } = await streamed(engine, "Who founded Acme?");
    expect(result.answer).toBe("Jane Doe founded Acme.");
    expect(deltas.join("").trim()).toBe("Jane Doe founded Acme.");
    expect(deltas.length).toBeGreaterThanOrEqual(2);
  });

  it("does not claim maxIterations before the steps are used; when they are, the limit is true", async () => {
    // Three steps of code, then the forced last turn replies with unfenced code: not an answer.
    const model = streamingModel([
      textStep(code),
      textStep(code),
      textStep(code),
      textStep("const x = searchDb('Acme'); print(x)"),
    ]);
    const forced = await tools({ model, grounding: true, maxIterations: 3 });
    const { deltas, result } = await streamed(forced.engine, "Who founded Acme?");
    expect(model.doStreamCalls).toHaveLength(4);
    expect(result.reasoningTrace).toHaveLength(4);
    expect(result.error).toBe("Budget exceeded: maxIterations (limit 3)");
    expect(result.budgetStatus).toMatchObject({
      exceeded: true,
      exceededLimit: "maxIterations",
      iterations: 3,
    });
    expect(result.answer).toContain("[acme]");
    expect(result.answer).not.toContain("searchDb");
    for (const d of deltas) {
      expect(d).not.toContain("```");
      expect(d).not.toContain("print(");
    }
    expect(deltas.join("")).toBe(result.answer);
  });

  it("streams a prose answer as it comes, but holds back from a fence until the step is checked", () => {
    const open = answerPrefixCheck("Who founded Acme?", ["Use the searchDb tool before answering."]);
    const prose = "Jane Doe founded Acme in 1999. It is based in Paris.";
    expect(prose.slice(0, releasable(prose, open))).toBe("Jane Doe founded Acme in 1999. It is based in ");
    const fenced = "Jane Doe founded Acme.\n```repl\nprint(1)";
    expect(fenced.slice(0, releasable(fenced, open))).toBe("Jane Doe founded Acme.\n");
    for (const held of [
      "```repl\nprint(searchDb('x'))",
      "const x = searchDb('Acme'); print(",
      "FINAL(Jane Doe",
      "Your final answer here ",
      "Use the searchDb tool ",
      "Who founded Acme? Who founded ",
      '{"name": "searchDb", ',
    ]) {
      expect(releasable(held, open), held).toBe(0);
    }
  });
});

/** A model whose requests never answer: each hangs until its abort signal fires. */
function hangingModel(opened: "never" | "headers") {
  const aborted: boolean[] = [];
  const model = new MockLanguageModelV4({
    modelId: "hanging",
    doStream: async (call) => {
      const i = aborted.push(false) - 1;
      const signal = call.abortSignal;
      const onAbort = () => {
        aborted[i] = true;
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (opened === "never") {
        return new Promise<never>((_, reject) =>
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true }),
        );
      }
      return {
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          start(c) {
            c.enqueue({ type: "stream-start", warnings: [] });
            signal?.addEventListener("abort", () => c.error(signal.reason), { once: true });
          },
        }),
      };
    },
    doGenerate: async (call) => {
      const i = aborted.push(false) - 1;
      const signal = call.abortSignal;
      return new Promise<never>((_, reject) =>
        signal?.addEventListener(
          "abort",
          () => {
            aborted[i] = true;
            reject(signal.reason);
          },
          { once: true },
        ),
      );
    },
  });
  return { model, aborted };
}

describe("tools strategy: callTimeoutMs bounds every request from the moment it is sent", () => {
  for (const opened of ["never", "headers"] as const) {
    it(`a backend that accepts the request and never answers (${opened === "never" ? "no response" : "headers, then nothing"}) is cut, retried, reported`, async () => {
      const { model, aborted } = hangingModel(opened);
      const { engine, errors } = await tools({
        model,
        callTimeoutMs: 100,
        retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      const started = performance.now();
      // Every attempt timed out: the run ends like any limit (a best-effort answer, the limit named).
      const result = await engine.query("Who founded Acme?");
      // Not a speed check: the requests hang until cut, so the run ends only through the 100 ms
      // timeout (the default would be 120 s each); the slack is for a busy machine.
      expect(performance.now() - started).toBeLessThan(2 * 100 + 5_000);
      expect(result.error).toBe("Budget exceeded: callTimeoutMs (limit 100)");
      expect(result.budgetStatus.exceededLimit).toBe("callTimeoutMs");
      expect(result.answer.trim()).not.toBe("");
      expect(model.doStreamCalls).toHaveLength(2);
      expect(aborted).toEqual([true, true]);
      expect(errors[0]).toMatch(/timed out after 0.1 s.*retrying \(attempt 2\)/);
    });
  }

  it("a retry after a timed-out request answers; the cut request's usage is counted", async () => {
    let request = 0;
    const model = new MockLanguageModelV4({
      modelId: "slow-then-fine",
      doStream: async (call) => {
        if (request++ === 0) {
          return new Promise<never>((_, reject) =>
            call.abortSignal?.addEventListener("abort", () => reject(call.abortSignal?.reason), {
              once: true,
            }),
          );
        }
        return { stream: convertArrayToReadableStream(textStep("Jane Doe founded Acme.")) };
      },
    });
    const { engine, errors } = await tools({
      model,
      callTimeoutMs: 100,
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
    });
    const result = await engine.query("Who founded Acme?");
    expect(result.answer).toBe("Jane Doe founded Acme.");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/timed out after 0.1 s/);
    // 20 + 8 reported by the retry, plus the cut request's estimated prompt tokens.
    expect(result.usage.totalTokens).toBeGreaterThan(28);
    const sum = result.reasoningTrace.reduce((n, s) => n + s.usage.totalTokens, 0);
    expect(sum).toBe(result.usage.totalTokens);
  });

  it("the non-streaming fallback is bounded too", async () => {
    const { model, aborted } = hangingModel("never");
    (model as unknown as { doStream: unknown }).doStream = async () => {
      throw new Error("automatic streaming tool choice is not supported");
    };
    const { engine, errors } = await tools({
      model,
      callTimeoutMs: 100,
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const result = await engine.query("Who founded Acme?");
    expect(result.error).toBe("Budget exceeded: callTimeoutMs (limit 100)");
    expect(model.doGenerateCalls).toHaveLength(2);
    expect(aborted).toEqual([true, true]);
    expect(errors[0]).toMatch(/timed out after 0.1 s.*retrying \(attempt 2\)/);
  });
});
