import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, streamText } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { Harness } from "./__fixtures__/harness.ts";

const harness = new Harness();
afterEach(() => harness.stopAll());

async function provider(options: Parameters<Harness["start"]>[0] = {}, apiKey = "sk-test") {
  const started = await harness.start(options);
  await started.post(
    "/v1/documents",
    { documents: ["Paris is the capital of France."], ids: ["paris"] },
    {
      authorization: `Bearer ${apiKey}`,
    },
  );
  const dr = createOpenAICompatible({
    name: "deeprecall",
    baseURL: `${started.url}/v1`,
    apiKey,
    includeUsage: true,
  });
  return { ...started, model: dr.chatModel("deeprecall") };
}

describe("AI SDK @ai-sdk/openai-compatible as a client", () => {
  it("generateText gets the answer and usage", async () => {
    const { model } = await provider({ apiKeys: ["sk-test"] });
    const result = await generateText({
      model,
      system: "Be brief.",
      prompt: "capital of France?",
      maxRetries: 0,
    });
    expect(result.text).toBe("Answer to: capital of France?");
    expect(result.usage.inputTokens).toBe(120);
    expect(result.usage.outputTokens).toBe(30);
  });

  it("streamText streams the answer text and the progress as reasoning", async () => {
    const { model } = await provider();
    const result = streamText({ model, prompt: "capital of France?", maxRetries: 0 });
    let text = "";
    for await (const part of result.textStream) text += part;
    expect(text).toBe("Answer to: capital of France?");
    expect(await result.reasoningText).toContain("Iteration 1");
    expect((await result.usage).inputTokens).toBe(120);
  });

  it("sees auth failures as an APICallError with status 401", async () => {
    const { model } = await provider({ apiKeys: ["sk-other"] }, "sk-test");
    const err = await generateText({ model, prompt: "q", maxRetries: 0 }).catch((e: unknown) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(401);
  });
});
