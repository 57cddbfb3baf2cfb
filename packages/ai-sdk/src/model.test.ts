import { InvalidPromptError } from "@ai-sdk/provider";
import {
  abortProbe,
  SEED_INVESTIGATION as INVESTIGATION,
  mockUsage,
  scriptedModel as scripted,
  seededEngine,
} from "@deeprecall/test-utils";
import { generateText, streamText } from "ai";
import { describe, expect, it } from "vitest";
import { deeprecall } from "./index.ts";

const promptOf = (call: { prompt: unknown }) => JSON.stringify(call.prompt);

describe("deeprecall(engine) with generateText", () => {
  it("answers with text, sources, reasoning, usage and metadata", async () => {
    const root = scripted(INVESTIGATION);
    const engine = await seededEngine(root);
    const result = await generateText({ model: deeprecall(engine), prompt: "Who founded Acme?" });

    expect(result.text).toBe("Jane Doe founded Acme in 1999.");
    expect(result.finishReason).toBe("stop");
    // Two engine model calls at 10 in / 5 out each.
    expect(result.usage.inputTokens).toBe(20);
    expect(result.usage.outputTokens).toBe(10);
    expect(result.usage.totalTokens).toBe(30);
    expect(result.reasoningText).toContain('Searched "Acme founded"');
    expect(result.reasoningText).toContain("Iteration 1");

    const ids = result.sources.map((s) => s.id);
    expect(ids).toContain("acme");
    const acme = result.sources.find((s) => s.id === "acme")!;
    expect(acme).toMatchObject({
      type: "source",
      sourceType: "document",
      title: "Acme history",
      filename: "acme.txt",
    });
    const meta = acme.providerMetadata?.deeprecall as { content: string; score: number };
    expect(meta.content).toBe("Acme Corporation was founded by Jane Doe in 1999.");
    expect(meta.score).toBeGreaterThan(0);

    const dr = result.providerMetadata?.deeprecall as { confidence: number; steps: number; error: unknown };
    expect(dr.steps).toBe(2);
    expect(dr.error).toBeNull();
    expect(dr.confidence).toBeGreaterThan(0);
    expect(result.response.modelId).toBe("deeprecall");
    // The engine's model saw the user's question.
    expect(promptOf(root.doGenerateCalls[0]!)).toContain("Who founded Acme?");
  });

  it("maps system messages to instructions, earlier turns to history and the last user message to the query", async () => {
    const root = scripted(["FINAL(Lyon.)"]);
    const engine = await seededEngine(root);
    const result = await generateText({
      model: deeprecall(engine),
      system: "Answer in one word.",
      messages: [
        { role: "user", content: "Who founded Acme?" },
        { role: "assistant", content: "Jane Doe founded Acme." },
        { role: "user", content: [{ type: "text", text: "Where was she born?" }] },
      ],
    });
    expect(result.text).toBe("Lyon.");
    const sent = root.doGenerateCalls[0]!.prompt;
    const system = sent
      .filter((m) => m.role === "system")
      .map((m) => m.content as string)
      .join("\n");
    expect(system).toContain("Answer in one word.");
    const text = promptOf(root.doGenerateCalls[0]!);
    expect(text).toContain("Jane Doe founded Acme.");
    expect(text).toContain("Who founded Acme?");
    // The last message the engine sends is the query turn: the last user message.
    const lastTurn = JSON.stringify(sent.at(-1));
    expect(lastTurn).toContain("Where was she born?");
    expect(lastTurn).not.toContain("Who founded Acme?");
  });

  it("passes per-call providerOptions (topK, filters) to the engine's searches", async () => {
    const root = scripted([
      "```repl\nconst hits = searchDb('founded')\nprint(hits.map(h => h.id).join(','))\n```",
      "FINAL(ok)",
    ]);
    const engine = await seededEngine(root);
    const result = await generateText({
      model: deeprecall(engine),
      prompt: "q",
      providerOptions: { deeprecall: { topK: 2, filters: { year: { $gte: 2001 } } } },
    });
    expect(result.text).toBe("ok");
    const ids = result.sources.map((s) => s.id).sort();
    expect(ids).toEqual(["jane", "weather"]);
    const weather = result.sources.find((s) => s.id === "weather")!;
    expect(weather).toMatchObject({ sourceType: "url", url: "https://example.com/weather" });
  });

  it("rejects bad providerOptions before running anything", async () => {
    const root = scripted([]);
    const engine = await seededEngine(root);
    await expect(
      generateText({
        model: deeprecall(engine),
        prompt: "q",
        maxRetries: 0,
        providerOptions: { deeprecall: { topK: -1 } },
      }),
    ).rejects.toThrow(/providerOptions\.deeprecall/);
    await expect(
      generateText({
        model: deeprecall(engine),
        prompt: "q",
        maxRetries: 0,
        providerOptions: { deeprecall: { filters: { year: { $near: 3 } } } },
      }),
    ).rejects.toThrow(/\$near/);
    expect(root.doGenerateCalls).toHaveLength(0);
  });

  it("needs a user message", async () => {
    const engine = await seededEngine(scripted([]));
    const error = await generateText({
      model: deeprecall(engine),
      messages: [{ role: "assistant", content: "hello" }],
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(InvalidPromptError.isInstance(error)).toBe(true);
  });

  it("reports a budget breach as finishReason length with the partial answer", async () => {
    const root = scripted([
      "```repl\nprint(searchDb('Acme').length)\n```",
      "```repl\nprint(searchDb('Jane').length)\n```",
      "FINAL(never reached)",
    ]);
    const engine = await seededEngine(root);
    const result = await generateText({
      model: deeprecall(engine, { budget: { maxTokens: 20 } }),
      prompt: "Who founded Acme?",
    });
    expect(result.finishReason).toBe("length");
    expect(result.rawFinishReason).toBe("budget_exceeded");
    expect((result.providerMetadata!.deeprecall as { error: string }).error).toMatch(/maxTokens/);
    expect(result.text.length).toBeGreaterThan(0);
  });

  it("warns about settings it cannot honour", async () => {
    (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
    const engine = await seededEngine(scripted(["FINAL(x)"]));
    const result = await generateText({ model: deeprecall(engine), prompt: "q", topP: 0.5, seed: 3 });
    expect(result.warnings?.map((w) => ("feature" in w ? w.feature : w.type))).toEqual(
      expect.arrayContaining(["topP", "seed"]),
    );
  });
});

describe("deeprecall(engine) with streamText", () => {
  it("streams progress as reasoning, then the answer as text, then sources and usage", async () => {
    const engine = await seededEngine(scripted(INVESTIGATION));
    const result = streamText({ model: deeprecall(engine), prompt: "Who founded Acme?" });
    const kinds: string[] = [];
    let text = "";
    for await (const part of result.fullStream) {
      kinds.push(part.type);
      if (part.type === "text-delta") text += part.text;
    }
    expect(text).toBe("Jane Doe founded Acme in 1999.");
    expect(kinds.indexOf("reasoning-delta")).toBeGreaterThan(-1);
    expect(kinds.indexOf("reasoning-delta")).toBeLessThan(kinds.indexOf("text-delta"));
    expect(kinds.lastIndexOf("text-delta")).toBeLessThan(kinds.indexOf("source"));
    expect(await result.text).toBe("Jane Doe founded Acme in 1999.");
    expect((await result.sources).map((s) => s.id)).toContain("acme");
    expect(await result.reasoningText).toContain('Searched "Acme founded"');
    expect((await result.usage).inputTokens).toBe(20);
    expect(await result.finishReason).toBe("stop");
  });

  it("reports an engine failure: generateText rejects, streamText emits an error part", async () => {
    const failing = () =>
      scripted([
        () => {
          throw new Error("provider exploded");
        },
      ]);
    const engine = await seededEngine(failing(), { retry: { maxRetries: 0 } });
    await expect(generateText({ model: deeprecall(engine), prompt: "q", maxRetries: 0 })).rejects.toThrow(
      /provider exploded/,
    );
    const engine2 = await seededEngine(failing(), { retry: { maxRetries: 0 } });
    const errors: unknown[] = [];
    const result = streamText({
      model: deeprecall(engine2),
      prompt: "q",
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    const kinds: string[] = [];
    for await (const part of result.fullStream) kinds.push(part.type);
    expect(kinds).toContain("error");
    expect(String(errors[0])).toMatch(/provider exploded/);
  });

  it("streams the tools strategy's answer token by token", async () => {
    const { MockLanguageModelV4, convertArrayToReadableStream } = await import("ai/test");
    const model = new MockLanguageModelV4({
      modelId: "mock-tools",
      doStream: async () => ({
        stream: convertArrayToReadableStream([
          { type: "stream-start", warnings: [] },
          { type: "text-start", id: "t" },
          { type: "text-delta", id: "t", delta: "Jane " },
          { type: "text-delta", id: "t", delta: "Doe." },
          { type: "text-end", id: "t" },
          { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage: mockUsage(7, 3) },
        ]),
      }),
    });
    const engine = await seededEngine(model, { strategy: "tools" });
    const result = streamText({ model: deeprecall(engine), prompt: "Who?" });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas).toEqual(["Jane ", "Doe."]);
    expect((await result.usage).outputTokens).toBe(3);
  });

  it("passes the abort signal through to the engine's model call", async () => {
    const probe = abortProbe();
    const engine = await seededEngine(scripted([probe.reply]), { retry: { maxRetries: 0 } });
    const controller = new AbortController();
    const result = streamText({ model: deeprecall(engine), prompt: "q", abortSignal: controller.signal });
    const consumed = (async () => {
      const kinds: string[] = [];
      try {
        for await (const part of result.fullStream) kinds.push(part.type);
      } catch (error) {
        kinds.push(`threw:${(error as Error).name}`);
      }
      return kinds;
    })();
    await probe.started;
    controller.abort(new Error("user cancelled"));
    const kinds = await consumed;
    expect(probe.aborted).toBe(true);
    expect(kinds).not.toContain("text-delta");
    expect(kinds.some((k) => k === "abort" || k === "error" || k.startsWith("threw:"))).toBe(true);
  });

  it("stops the engine when the consumer cancels the stream", async () => {
    const probe = abortProbe();
    const engine = await seededEngine(scripted([probe.reply]), { retry: { maxRetries: 0 } });
    const { stream } = await deeprecall(engine).doStream({
      prompt: [{ role: "user", content: [{ type: "text", text: "q" }] }],
    });
    const reader = stream.getReader();
    expect((await reader.read()).value?.type).toBe("stream-start");
    expect((await reader.read()).value?.type).toBe("response-metadata");
    const pending = reader.read();
    await probe.started;
    await reader.cancel(new Error("gone"));
    await pending.catch(() => undefined);
    expect(probe.aborted).toBe(true);
  });
});
