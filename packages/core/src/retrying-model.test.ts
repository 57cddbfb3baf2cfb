import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { generateText, streamText } from "ai";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { scriptedModel, textStep } from "./__fixtures__/scripted-model.ts";
import { type RetryRequest, retryingModel } from "./retrying-model.ts";

/** Retries every failure once, recording the signal each request was sent with. */
function retryOnce(signals: Array<AbortSignal | undefined>): RetryRequest {
  return async (call, signal) => {
    signals.push(signal);
    try {
      return await call();
    } catch {
      return call();
    }
  };
}

describe("retryingModel", () => {
  it("sends doStream through the retry function, with the request's abort signal", async () => {
    let calls = 0;
    const model = new MockLanguageModelV4({
      modelId: "flaky",
      doStream: async () => {
        if (calls++ === 0) throw new Error("first request fails");
        return { stream: convertArrayToReadableStream(textStep("hello")) };
      },
    });
    const signals: Array<AbortSignal | undefined> = [];
    const controller = new AbortController();
    const wrapped = retryingModel(model, retryOnce(signals));
    const result = streamText({
      model: wrapped,
      prompt: "hi",
      maxRetries: 0,
      abortSignal: controller.signal,
    });
    expect(await result.text).toBe("hello");
    expect(calls).toBe(2);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
  });

  it("sends doGenerate through the retry function, and keeps the model's id", async () => {
    const model = scriptedModel([{ error: new Error("first request fails") }, "hello"], "flaky");
    const wrapped = retryingModel(model, retryOnce([]));
    expect(typeof wrapped === "string" ? wrapped : wrapped.modelId).toBe("flaky");
    const result = await generateText({ model: wrapped, prompt: "hi", maxRetries: 0 });
    expect(result.text).toBe("hello");
    expect(model.callCount).toBe(2);
  });
});

describe("retryingModel with a request timeout", () => {
  const timeout = (cuts: Array<[number, string]>) => ({
    timeoutMs: 50,
    error: () => new Error("timed out (callTimeoutMs)"),
    onCut: (chars: number, text: string) => void cuts.push([chars, text]),
  });

  it("cuts a doGenerate that never resolves (even one ignoring its signal), and retries it", async () => {
    let calls = 0;
    const model = new MockLanguageModelV4({
      modelId: "hang",
      doGenerate: async () => {
        calls++;
        return new Promise<never>(() => {});
      },
    });
    const cuts: Array<[number, string]> = [];
    const wrapped = retryingModel(model, retryOnce([]), timeout(cuts));
    const error = await generateText({ model: wrapped, prompt: "hi", maxRetries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(String(error)).toMatch(/timed out \(callTimeoutMs\)/);
    expect(calls).toBe(2);
    expect(cuts).toHaveLength(2);
    expect(cuts[0]![0]).toBeGreaterThan(0);
  });

  it("a stream that stalls after delivering output fails with the timeout, once (no retry)", async () => {
    let calls = 0;
    let aborted = false;
    const model = new MockLanguageModelV4({
      modelId: "stall",
      doStream: async (call) => {
        calls++;
        call.abortSignal?.addEventListener("abort", () => {
          aborted = true;
        });
        return {
          stream: new ReadableStream<LanguageModelV4StreamPart>({
            start(c) {
              c.enqueue({ type: "stream-start", warnings: [] });
              c.enqueue({ type: "text-start", id: "t" });
              c.enqueue({ type: "text-delta", id: "t", delta: "Jane " });
            },
          }),
        };
      },
    });
    const cuts: Array<[number, string]> = [];
    const wrapped = retryingModel(model, retryOnce([]), timeout(cuts));
    const result = streamText({ model: wrapped, prompt: "hi", maxRetries: 0, onError: () => {} });
    let text = "";
    let failure: unknown;
    try {
      for await (const part of result.fullStream) {
        if (part.type === "text-delta") text += part.text;
        else if (part.type === "error") throw part.error;
      }
    } catch (error) {
      failure = error;
    }
    expect(text).toBe("Jane ");
    expect(String(failure)).toMatch(/timed out/);
    expect(calls).toBe(1);
    expect(aborted).toBe(true);
    expect(cuts.map((c) => c[1])).toEqual(["Jane "]);
  });
});
