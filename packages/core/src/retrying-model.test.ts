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
