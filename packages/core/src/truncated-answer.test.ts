import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel, streamingModel, textStep, toolCallStep } from "./__fixtures__/scripted-model.ts";
import { InMemoryCache } from "./cache/memory.ts";
import { DeepRecallEngine, finishReasonOf } from "./engine.ts";
import { requestModel } from "./model-call.ts";
import type { DeepRecallEngineOptions } from "./options.ts";
import type { DeepRecallResult } from "./types.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function engine(options: Omit<DeepRecallEngineOptions, "vectorStore">): Promise<DeepRecallEngine> {
  const store = new MemoryStore();
  await store.addDocuments({
    ids: ["zorvex"],
    documents: ["Zorvex Industries was founded in Oslo in 1987 by Ingrid Berg."],
  });
  const e = new DeepRecallEngine({ vectorStore: store, sandbox: { workers: 1 }, ...options });
  engines.push(e);
  return e;
}

const QUESTION = "Where was Zorvex Industries founded?";

async function streamedResult(e: DeepRecallEngine, options: Parameters<DeepRecallEngine["stream"]>[1]) {
  let result: DeepRecallResult | undefined;
  for await (const event of e.stream(QUESTION, options)) if (event.type === "result") result = event.result;
  if (!result) throw new Error("no result event");
  return result;
}

function expectTruncated(result: DeepRecallResult) {
  expect(result.truncated).toBe(true);
  expect(finishReasonOf(result)).toBe("length");
  // The cap cut the answer, not a budget: no limit is claimed.
  expect(result.error).toBeUndefined();
  expect(result.budgetStatus.exceeded).toBe(false);
}

function expectWhole(result: DeepRecallResult) {
  expect(result.truncated).toBeUndefined();
  expect(finishReasonOf(result)).toBe("stop");
}

describe("an answer the output-token cap cut (repl strategy)", () => {
  it("an unclosed FINAL in a reply cut at 'length' is a truncated answer", async () => {
    const model = scriptedModel([{ text: "FINAL(Zorvex was founded in Oslo in", finishReason: "length" }]);
    const result = await (await engine({ model })).query(QUESTION, { maxOutputTokens: 5 });
    expect(model.doGenerateCalls[0]!.maxOutputTokens).toBe(5);
    expect(result.answer).toBe("Zorvex was founded in Oslo in");
    expectTruncated(result);
  });

  it("an unclosed FINAL in a reply the model ended itself is whole", async () => {
    const model = scriptedModel([{ text: "FINAL(Zorvex was founded in Oslo.", finishReason: "stop" }]);
    const result = await (await engine({ model })).query(QUESTION);
    expect(result.answer).toBe("Zorvex was founded in Oslo.");
    expectWhole(result);
  });

  it("a FINAL that closed before the cut is whole; so is FINAL() called from code", async () => {
    const closed = scriptedModel([
      {
        text: "FINAL(Zorvex was founded in Oslo in 1987.)\nA note on the sources: the",
        finishReason: "length",
      },
    ]);
    const first = await (await engine({ model: closed })).query(QUESTION);
    expect(first.answer).toBe("Zorvex was founded in Oslo in 1987.");
    expectWhole(first);

    const fromCode = scriptedModel([
      {
        text: "```repl\nFINAL('Zorvex was founded in Oslo in 1987.')\n```\nFINAL(Zorvex was founded in",
        finishReason: "length",
      },
    ]);
    const second = await (await engine({ model: fromCode })).query(QUESTION);
    expect(second.answer).toBe("Zorvex was founded in Oslo in 1987.");
    expectWhole(second);
  });

  it("the forced final answer cut at 'length' is marked too (the limit already says 'length')", async () => {
    const model = scriptedModel([
      "```repl\nprint('looking')\n```",
      { text: "FINAL(Zorvex was founded in Oslo in", finishReason: "length" },
    ]);
    const result = await (await engine({ model, maxIterations: 1 })).query(QUESTION);
    expect(result.answer).toBe("Zorvex was founded in Oslo in");
    expect(result.truncated).toBe(true);
    expect(result.error).toBe("Budget exceeded: maxIterations (limit 1)");
    expect(finishReasonOf(result)).toBe("length");
  });

  it("engine.stream's result carries it, from a backend that streams", async () => {
    const model = streamingModel([textStep("FINAL(Zorvex was founded in Oslo in", 3, "length")]);
    const result = await streamedResult(await engine({ model }), { maxOutputTokens: 5 });
    expect(model.doStreamCalls).toHaveLength(1);
    expect(result.answer).toBe("Zorvex was founded in Oslo in");
    expectTruncated(result);
  });

  it("a cached answer keeps the flag, and is not served to a query without that cap", async () => {
    const model = streamingModel([
      textStep("FINAL(Zorvex was founded in Oslo in", 3, "length"),
      textStep("FINAL(Zorvex was founded in Oslo in 1987.)"),
    ]);
    const e = await engine({ model, cache: new InMemoryCache(), cacheAnswers: true });
    expectTruncated(await e.query(QUESTION, { maxOutputTokens: 5 }));
    for (const hit of [
      await e.query(QUESTION, { maxOutputTokens: 5 }),
      await streamedResult(e, { maxOutputTokens: 5 }),
    ]) {
      expect(hit.cached).toBe(true);
      expectTruncated(hit);
    }
    expect(model.doStreamCalls).toHaveLength(1);
    // Without the cap the question is asked again, and the whole answer is not marked.
    const uncapped = await e.query(QUESTION);
    expect(uncapped.cached).toBeUndefined();
    expect(uncapped.answer).toBe("Zorvex was founded in Oslo in 1987.");
    expectWhole(uncapped);
  });
});

describe("an answer the output-token cap cut (tools strategy)", () => {
  it("a final text step that stopped at 'length' is a truncated answer", async () => {
    const model = streamingModel([
      toolCallStep("c1", { query: "Zorvex founded" }),
      textStep("Zorvex was founded in Oslo in", 3, "length"),
    ]);
    const result = await (await engine({ model, strategy: "tools" })).query(QUESTION, { maxOutputTokens: 5 });
    expect(result.answer).toBe("Zorvex was founded in Oslo in");
    expectTruncated(result);
  });

  it("a final text step that stopped on its own is whole", async () => {
    const model = streamingModel([textStep("Zorvex was founded in Oslo in 1987.")]);
    const result = await (await engine({ model, strategy: "tools" })).query(QUESTION);
    expect(result.answer).toBe("Zorvex was founded in Oslo in 1987.");
    expectWhole(result);
  });
});

describe("requestModel's finish reason", () => {
  const request = { messages: [{ role: "user" as const, content: "Where?" }] };

  it("is the stream's finish part, or generateText's for a model that cannot stream", async () => {
    const streamed = streamingModel([textStep("Oslo", 1, "length")]);
    const a = await requestModel(streamed, request, new AbortController().signal);
    expect(a).toMatchObject({ text: "Oslo", finishReason: "length" });

    const generated = scriptedModel([{ text: "Oslo", finishReason: "length" }, "Oslo."]);
    const b = await requestModel(generated, request, new AbortController().signal);
    expect(b).toMatchObject({ text: "Oslo", finishReason: "length" });
    expect(generated.doGenerateCalls).toHaveLength(1);
    const c = await requestModel(generated, request, new AbortController().signal);
    expect(c).toMatchObject({ text: "Oslo.", finishReason: "stop" });
  });
});
