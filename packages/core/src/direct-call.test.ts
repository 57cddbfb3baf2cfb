import { APICallError } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel, streamingModel, textStep } from "./__fixtures__/scripted-model.ts";
import { DeepRecallEngine } from "./engine.ts";
import { ConfigError, LLMProviderError } from "./errors.ts";
import {
  CITE_RULE,
  firstUserMessage,
  groundingBlock,
  replSystemPrompt,
  toolsSystemPrompt,
} from "./prompts.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

class CountingStore extends MemoryStore {
  searches = 0;
  override async search(...args: Parameters<MemoryStore["search"]>) {
    this.searches++;
    return super.search(...args);
  }
}

function engine(model: ConstructorParameters<typeof DeepRecallEngine>[0]["model"], extra = {}) {
  const store = new CountingStore();
  const e = new DeepRecallEngine({ vectorStore: store, model, ...extra });
  engines.push(e);
  return { e, store };
}

describe("engine.complete (direct model call)", () => {
  it("passes the messages straight to the model: one call, no search, the model's own text and usage", async () => {
    const seen: unknown[] = [];
    const model = scriptedModel([
      (call) => {
        seen.push(call.prompt, call.maxOutputTokens, call.temperature, call.stopSequences);
        return '{"title": "Acme history"}';
      },
    ]);
    const { e, store } = engine(model);
    const result = await e.complete({
      instructions: "Be brief.",
      messages: [{ role: "user", content: "### Task:\nGenerate a title" }],
      maxOutputTokens: 50,
      temperature: 0.1,
      stopSequences: ["\n\n"],
    });
    expect(result.text).toBe('{"title": "Acme history"}');
    expect(result.finishReason).toBe("stop");
    expect(result.usage).toMatchObject({ inputTokens: 10, outputTokens: 5, totalTokens: 15, calls: 1 });
    expect(store.searches).toBe(0);
    expect(model.doGenerateCalls).toHaveLength(1);
    expect(JSON.stringify(seen[0])).toContain("### Task:");
    expect(JSON.stringify(seen[0])).toContain("Be brief.");
    expect(seen.slice(1)).toEqual([50, 0.1, ["\n\n"]]);
  });

  it("streams text pieces to onText as the backend sends them", async () => {
    const { e } = engine(streamingModel([textStep("Acme was founded in 1999.", 4)]));
    const pieces: string[] = [];
    const result = await e.complete({
      messages: [{ role: "user", content: "hi" }],
      onText: (t) => pieces.push(t),
    });
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe("Acme was founded in 1999.");
    expect(result.text).toBe("Acme was founded in 1999.");
  });

  it("asks the backend for JSON with response_format", async () => {
    const formats: unknown[] = [];
    const model = scriptedModel([
      (call) => {
        formats.push(call.responseFormat);
        return '{"tags": ["a"]}';
      },
    ]);
    const { e } = engine(model);
    const schema = { type: "object", properties: { tags: { type: "array", items: { type: "string" } } } };
    const result = await e.complete({
      messages: [{ role: "user", content: "tags" }],
      responseFormat: { schema, name: "tags" },
    });
    expect(result.text).toBe('{"tags": ["a"]}');
    expect(formats[0]).toMatchObject({ type: "json", schema, name: "tags" });
    // The schema is in the prompt too: openai-compatible backends get json_object without it.
    expect(JSON.stringify(model.doGenerateCalls[0]!.prompt)).toContain("must match this JSON Schema");
  });

  it("retries a transient failure through the engine's retry options", async () => {
    let calls = 0;
    const model = scriptedModel([
      () => {
        calls++;
        throw new APICallError({
          message: "overloaded",
          url: "http://x",
          requestBodyValues: {},
          statusCode: 503,
          isRetryable: true,
        });
      },
      () => {
        calls++;
        return "ok";
      },
    ]);
    const { e } = engine(model, { retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const result = await e.complete({ messages: [{ role: "user", content: "hi" }] });
    expect(result.text).toBe("ok");
    expect(calls).toBe(2);
  });

  it("a provider failure is an LLMProviderError; no messages is a ConfigError", async () => {
    const model = scriptedModel([
      () => {
        throw new APICallError({
          message: "bad key",
          url: "http://x",
          requestBodyValues: {},
          statusCode: 401,
          isRetryable: false,
        });
      },
    ]);
    const { e } = engine(model);
    await expect(e.complete({ messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(
      LLMProviderError,
    );
    await expect(e.complete({ messages: [] })).rejects.toBeInstanceOf(ConfigError);
  });

  it("an abort ends the call", async () => {
    const controller = new AbortController();
    const model = scriptedModel([
      async (call) => {
        controller.abort(new Error("client left"));
        call.abortSignal?.throwIfAborted();
        return "never";
      },
    ]);
    const { e } = engine(model);
    await expect(
      e.complete({ messages: [{ role: "user", content: "hi" }], signal: controller.signal }),
    ).rejects.toThrow("client left");
  });
});

describe("prompts: citation handles", () => {
  const ctx = { storeName: "docs", documentCount: 3, topK: 5, maxIterations: 5, depth: 1, maxDepth: 1 };
  it("the grounding passages carry handles [n] and their ids, and the model is told to cite handles", () => {
    const block = groundingBlock([
      { id: "acme", content: "Acme was founded in 1999.", metadata: {}, score: 0.9 },
      { id: "jane", content: "Jane Doe was born in Lyon.", metadata: {}, score: 0.5 },
    ]);
    expect(block).toContain('[1] id="acme"');
    expect(block).toContain('[2] id="jane"');
    expect(block).toContain("cite one by its handle");
    expect(firstUserMessage("q?", ctx, undefined, undefined, [])).not.toContain("[1]");
    expect(replSystemPrompt(ctx)).toContain(CITE_RULE);
    expect(toolsSystemPrompt(ctx)).toContain(CITE_RULE);
    expect(CITE_RULE).toMatch(/\[1\]/);
  });
});
