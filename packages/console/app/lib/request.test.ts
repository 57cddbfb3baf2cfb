import { describe, expect, it } from "vitest";
import { chatRequestBody, parseNumberField } from "./request.ts";

describe("chatRequestBody", () => {
  it("streams with usage and asks for the trace, sending only the options set", () => {
    expect(chatRequestBody("Q?", [], { model: "deeprecall", strategy: "repl", budget: {} })).toEqual({
      model: "deeprecall",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Q?" }],
      deeprecall: { trace: true, strategy: "repl" },
    });
  });

  it("sends history before the question, and top_k and the budget limits set", () => {
    const body = chatRequestBody(
      "And then?",
      [
        { role: "user", content: "Who?" },
        { role: "assistant", content: "Jane." },
      ],
      {
        model: "deeprecall/wiki",
        strategy: "tools",
        topK: 3,
        budget: { max_iterations: 2, max_time_seconds: 30 },
      },
    );
    expect(body.messages).toEqual([
      { role: "user", content: "Who?" },
      { role: "assistant", content: "Jane." },
      { role: "user", content: "And then?" },
    ]);
    expect(body.deeprecall).toEqual({
      trace: true,
      strategy: "tools",
      top_k: 3,
      budget: { max_iterations: 2, max_time_seconds: 30 },
    });
  });
});

describe("parseNumberField", () => {
  it("reads empty as unset and checks numbers", () => {
    expect(parseNumberField("  ")).toEqual({ value: undefined });
    expect(parseNumberField("2.5")).toEqual({ value: 2.5 });
    expect(parseNumberField("abc").error).toBe("must be a number");
    expect(parseNumberField("2.5", { integer: true }).error).toBe("must be a whole number");
    expect(parseNumberField("0").error).toBe("must be more than 0");
    expect(parseNumberField("0", { allowMin: true })).toEqual({ value: 0 });
    expect(parseNumberField("-1", { allowMin: true }).error).toBe("must be at least 0");
    expect(parseNumberField("1001", { max: 1000 }).error).toBe("must be at most 1000");
  });
});
