import {
  InMemoryVectorStore,
  SEED_CORPUS,
  scriptedModel as scripted,
  seededEngine,
} from "@deeprecall/test-utils";
import { generateText, isStepCount } from "ai";
import { describe, expect, it } from "vitest";
import { type AskToolOutput, askTool, type SearchToolOutput, searchTool } from "./index.ts";

const call = (toolCallId: string, toolName: string, input: object) => [
  { type: "tool-call" as const, toolCallId, toolName, input: JSON.stringify(input) },
];

async function seededStore() {
  const store = new InMemoryVectorStore();
  await store.addDocuments(SEED_CORPUS);
  return store;
}

describe("searchTool(store)", () => {
  it("is called by an outer agent and returns store hits with scores", async () => {
    const store = await seededStore();
    const outer = scripted(
      [
        call("c1", "search", { query: "born in Lyon France", top_k: 2 }),
        (c) => {
          const text = JSON.stringify(c.prompt);
          return text.includes("Lyon") ? "She was born in Lyon." : "no idea";
        },
      ],
      "mock-outer",
    );
    const result = await generateText({
      model: outer,
      tools: { search: searchTool(store) },
      stopWhen: isStepCount(3),
      prompt: "Where was Jane Doe born?",
    });
    expect(result.text).toBe("She was born in Lyon.");
    const toolResult = result.steps[0]!.toolResults[0]!;
    expect(toolResult.toolName).toBe("search");
    const output = toolResult.output as SearchToolOutput;
    expect(output.results).toHaveLength(2);
    expect(output.results[0]!.id).toBe("jane");
    expect(output.results[0]!.score).toBeGreaterThanOrEqual(output.results[1]!.score);
    expect(output.results[0]!.metadata).toMatchObject({ source: "people.txt" });
    // The tool advertised a JSON schema to the outer model.
    const advertised = outer.doGenerateCalls[0]!.tools!.find((t) => t.name === "search")!;
    expect(JSON.stringify(advertised)).toContain('"query"');
  });

  it("applies filters and reports bad filters to the calling model as a tool error", async () => {
    const store = await seededStore();
    const outer = scripted(
      [
        [
          ...call("c1", "search", { query: "anything", filters: { year: { $gte: 2020 } } }),
          ...call("c2", "search", { query: "anything", filters: { year: { $regex: "x" } } }),
        ],
        "done",
      ],
      "mock-outer",
    );
    const result = await generateText({
      model: outer,
      tools: { search: searchTool(store) },
      stopWhen: isStepCount(3),
      prompt: "q",
    });
    const content = result.steps[0]!.content;
    const ok = content.find((p) => p.type === "tool-result" && p.toolCallId === "c1");
    expect((ok as { output: SearchToolOutput }).output.results.map((r) => r.id)).toEqual(["weather"]);
    const bad = content.find((p) => p.type === "tool-error" && p.toolCallId === "c2");
    expect(String((bad as { error: unknown }).error)).toMatch(/\$regex/);
  });
});

describe("searchTool(store, { maxContentChars })", () => {
  it("cuts each hit's content to maxContentChars, with an ellipsis, and leaves short ones whole", async () => {
    const tool = searchTool(await seededStore(), { maxContentChars: 40 });
    const output = (await tool.execute!(
      { query: "Acme Corporation founded", top_k: 3 },
      { toolCallId: "t", messages: [], context: undefined },
    )) as SearchToolOutput;
    const byId = Object.fromEntries(output.results.map((r) => [r.id, r.content]));
    expect(byId.acme).toBe("Acme Corporation was founded by Jane Doe…");
    expect(byId.weather).toBe("The weather in Paris is mild in spring.");
  });
});

describe("askTool(engine)", () => {
  it("runs the full engine for an outer agent and returns the answer with sources", async () => {
    const inner = scripted([
      "```repl\nconst hits = searchDb('Acme founded')\nprint(hits[0].content)\n```",
      "FINAL(Acme was founded in 1999 by Jane Doe.)",
    ]);
    const engine = await seededEngine(inner);
    const outer = scripted(
      [
        call("a1", "ask", { question: "When was Acme founded?" }),
        (c) => (JSON.stringify(c.prompt).includes("1999 by Jane Doe") ? "1999." : "unknown"),
      ],
      "mock-outer",
    );
    const result = await generateText({
      model: outer,
      tools: { ask: askTool(engine) },
      stopWhen: isStepCount(3),
      prompt: "When was Acme founded?",
    });
    expect(result.text).toBe("1999.");
    const output = result.steps[0]!.toolResults[0]!.output as AskToolOutput;
    expect(output.answer).toBe("Acme was founded in 1999 by Jane Doe.");
    expect(output.sources.map((s) => s.id)).toContain("acme");
    expect(output.confidence).toBeGreaterThan(0);
    expect(output.error).toBeUndefined();
    // The inner engine received the outer model's question.
    expect(JSON.stringify(inner.doGenerateCalls[0]!.prompt)).toContain("When was Acme founded?");
  });

  it("rejects things that are not engines or stores", () => {
    expect(() => askTool({} as never)).toThrow(/DeepRecallEngine/);
    expect(() => searchTool({} as never)).toThrow(/search/);
  });
});
