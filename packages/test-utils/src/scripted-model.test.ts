import { generateText } from "ai";
import { describe, expect, it } from "vitest";
import { scriptedModel } from "./scripted-model.ts";

describe("scriptedModel", () => {
  it("replays text, functions of the call and tool calls in order, 10 in / 5 out tokens each", async () => {
    const model = scriptedModel([
      "first",
      (call) => (JSON.stringify(call.prompt).includes("second?") ? "second" : "wrong prompt"),
    ]);
    const one = await generateText({ model, prompt: "first?" });
    expect(one.text).toBe("first");
    expect(one.usage).toMatchObject({ inputTokens: 10, outputTokens: 5 });
    expect((await generateText({ model, prompt: "second?" })).text).toBe("second");
    expect(model.doGenerateCalls).toHaveLength(2);

    const tools = scriptedModel([[{ type: "tool-call", toolCallId: "c", toolName: "t", input: "{}" }]]);
    const call = await tools.doGenerate({ prompt: [] });
    expect(call.finishReason.unified).toBe("tool-calls");
  });

  it("throws an Error reply as that call's failure", async () => {
    const model = scriptedModel([new Error("provider rejected the key")]);
    await expect(generateText({ model, prompt: "q", maxRetries: 0 })).rejects.toThrow(/provider rejected/);
  });

  it("fails loudly when called past its script, naming the model", async () => {
    const model = scriptedModel(["only"], "mock-x");
    await model.doGenerate({ prompt: [] });
    await expect(model.doGenerate({ prompt: [] })).rejects.toThrow(
      /scriptedModel\(mock-x\): no reply scripted for call 2/,
    );
  });

  it("honours an abort signal that has already fired", async () => {
    const model = scriptedModel(["never"]);
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    await expect(model.doGenerate({ prompt: [], abortSignal: controller.signal })).rejects.toThrow(/gone/);
    expect(model.doGenerateCalls).toHaveLength(1);
  });
});
