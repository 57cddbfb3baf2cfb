import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel } from "./__fixtures__/scripted-model.ts";
import {
  answerProblem,
  cleanAnswer,
  looksLikeCode,
  promptWording,
  synthesizeAnswer,
  usableAnswer,
} from "./answer-check.ts";
import { DeepRecallEngine } from "./engine.ts";
import type { DeepRecallEngineOptions } from "./options.ts";
import { firstUserMessage, groundingBlock, replSystemPrompt } from "./prompts.ts";

const q = "Where was the founder of Acme born?";

describe("answerProblem", () => {
  it("rejects empty answers, placeholder wording and echoes of the question", () => {
    for (const bad of [
      "",
      "   ",
      "the answer",
      "Your answer.",
      "FINAL(your answer)",
      "answer",
      '"your final answer"',
    ]) {
      expect(answerProblem(bad, q), bad).not.toBeNull();
    }
    expect(answerProblem(q, q)).toBe("it repeats the question");
    expect(answerProblem(`Question: ${q}`, q)).toBe("it repeats the question");
    expect(answerProblem("```python\nprint(1)\n```", q)).toBe("it is empty");
  });

  it("accepts real answers", () => {
    expect(answerProblem("Jane Doe was born in Lyon.", q)).toBeNull();
    expect(answerProblem("42", q)).toBeNull();
  });
});

describe("cleanAnswer / usableAnswer", () => {
  it("drops closed code blocks and everything from an unclosed fence", () => {
    expect(cleanAnswer("Lyon.\n```js\nprint(1)\n```\nDone")).toBe("Lyon.\n\nDone");
    expect(cleanAnswer("Lyon, France.\n```python\nfor x in y:")).toBe("Lyon, France.");
    expect(usableAnswer("```python\nx = 1", q)).toBeNull();
    expect(usableAnswer(undefined, q)).toBeNull();
    expect(usableAnswer("  Lyon  ", q)).toBe("Lyon");
  });
});

describe("synthesizeAnswer", () => {
  const sources = [
    {
      id: "jane",
      content: "Some intro. Jane Doe, the founder of Acme, was born in Lyon.\n```python\nprint('x')\n```",
      metadata: {},
      score: 0.9,
    },
    { id: "weather", content: "The weather in Paris is mild.", metadata: {}, score: 0.2 },
  ];

  it("quotes the sentences that match the question, with ids, naming the limit", () => {
    const answer = synthesizeAnswer(q, sources, "maxIterations");
    expect(answer).toContain("stopped at the iteration limit");
    expect(answer).toContain("born in Lyon");
    expect(answer).toContain("[jane]");
    expect(answer).not.toContain("```");
    expect(answer.indexOf("born in Lyon")).toBeLessThan(
      answer.indexOf("weather") < 0 ? Infinity : answer.indexOf("weather"),
    );
  });

  it("quotes whole sentences: an abbreviation's full stop does not end one", () => {
    const rival = {
      id: "globex",
      content: "Globex Inc. is a rival of Acme, founded by Hank Scorpio. It makes doomsday devices.",
      metadata: {},
      score: 0.9,
    };
    const answer = synthesizeAnswer("Who founded Globex Inc.?", [rival], "maxTimeSeconds");
    expect(answer).toContain("- Globex Inc. is a rival of Acme, founded by Hank Scorpio. [globex]");
  });

  it("is never empty, even without sources", () => {
    const answer = synthesizeAnswer(q, [], "maxTokens");
    expect(answer).toMatch(/the token limit/);
    expect(answer).toMatch(/No relevant passages/);
  });
});

const ctx = { storeName: "mem", documentCount: 2, topK: 5, maxIterations: 3, depth: 1, maxDepth: 1 };
const snippet = {
  id: "acme",
  content: "Acme Corporation was founded by Jane Doe in 1999. Its headquarters are in Paris.",
  metadata: {},
  score: 0.9,
};
const ACME = "Who founded Acme?";
/** The prompt texts a model is given for ACME with one grounding passage, as the loops pass them. */
const wording = promptWording(
  replSystemPrompt(ctx),
  firstUserMessage(ACME, ctx, "Some context text here.", undefined, [snippet]),
  [groundingBlock([snippet]), "Some context text here.", ACME],
);

describe("answerProblem: echoes of the prompt, placeholders, the question, code", () => {
  it("rejects the prompt's own wording (system prompt example, first-message instruction)", () => {
    for (const echo of [
      "The crisis was driven mainly by ... [sources: doc-12, doc-40]",
      "The crisis was driven mainly by ... [1][3]",
      'Start by searching the "mem" store (default topK 5). Write a ```repl block.',
      'FINAL(Start by searching the "mem" store (default topK 5). Write a',
      'Start by searching the "mem" store (default topK 5) for what these passages do not settle, then answer from the evidence.',
      "You answer questions about a collection of documents by investigating them with code.",
      "Search first, with several phrasings if needed. Read, then refine: follow names, dates and terms you found with new searches.",
    ]) {
      expect(answerProblem(echo, ACME, wording), echo).toMatch(/wording|placeholder/);
    }
  });

  it("rejects placeholder phrasings", () => {
    for (const bad of [
      "your final answer here",
      "FINAL(your final answer here)",
      "<answer>",
      "[your answer]",
      "...",
      "My final answer.",
      "The answer to the question.",
      "Insert your answer here",
      "Answer goes here",
      "TODO",
    ]) {
      expect(answerProblem(bad, ACME, wording), bad).not.toBeNull();
    }
  });

  it("rejects the question said again, once or more", () => {
    expect(answerProblem("Who founded Acme? Who founded Acme?", ACME, wording)).toBe(
      "it repeats the question",
    );
    expect(answerProblem("who founded acme", ACME)).toBe("it repeats the question");
    expect(answerProblem("Question: Who founded Acme?\nQuestion: Who founded Acme?", ACME)).toBe(
      "it repeats the question",
    );
  });

  it("rejects code written without a fence, and tool calls written as text", () => {
    for (const code of [
      "const x = searchDb('Acme'); print(x)",
      "print(searchDb('Acme founder'))",
      'hits = searchDb("Acme")',
      "const hits = searchDb('Acme');\nfor (const h of hits) print(h.content);",
      'llmQuery("Who founded Acme?");',
      '{"name": "searchDb", "arguments": {"query": "Acme"}}',
      '<tool_call>{"name": "searchDb"}</tool_call>',
    ]) {
      expect(answerProblem(code, ACME, wording), code).toMatch(/code/);
    }
  });

  it("keeps genuine answers: short ones, ones quoting a document snippet, ones mentioning code", () => {
    for (const good of [
      "Paris",
      "Jane Doe",
      "Jane Doe [1].",
      "Acme Corporation was founded by Jane Doe in 1999. [1]",
      "Acme Corporation was founded by Jane Doe in 1999. Its headquarters are in Paris.",
      "Some context text here.",
      "Jane Doe founded Acme (in 1999).",
      "Jane Doe founded Acme; she later sold it.",
      "E = mc2",
      "None of the documents say who founded Acme.",
      "The documents do not contain the answer.",
      "I could not find who founded Acme in the documents.",
      "No information about the founder of Acme was found in the passages.",
      "Founded in 1999 [1].",
      "Acme was founded in 1999 [1].",
      "The searchDb tool found nothing about Acme, so the documents do not say.",
      "In Python you call print(x) to show a value.",
      "Acme (founded 1999) is based in Paris.",
      "The answer is 42.",
      "Acme",
    ]) {
      expect(answerProblem(good, ACME, wording), good).toBeNull();
    }
    expect(looksLikeCode("Jane Doe founded Acme.\nShe was born in Lyon.")).toBe(false);
  });

  it("promptWording leaves out the material that is not our wording", () => {
    expect(wording.join("\n")).not.toContain("founded by Jane Doe");
    expect(wording.join("\n")).not.toContain("Some context text here.");
    expect(wording.join("\n")).toContain("Start by searching");
  });
});

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function acmeEngine(options: Omit<DeepRecallEngineOptions, "vectorStore">) {
  const store = new MemoryStore();
  await store.addDocuments({
    ids: ["acme", "paris"],
    documents: ["Acme Corporation was founded by Jane Doe in 1999.", "Paris is the capital of France."],
  });
  const e = new DeepRecallEngine({ vectorStore: store, sandbox: { workers: 1 }, ...options });
  engines.push(e);
  return e;
}

/** A model whose every reply is `reply`. */
function always(reply: string) {
  return new MockLanguageModelV4({
    modelId: "echo",
    doGenerate: async () => ({
      content: [{ type: "text", text: reply }],
      finishReason: { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 5, text: 5, reasoning: 0 },
      },
      warnings: [],
    }),
  });
}

describe("the engine does not take an echo of the prompt as the answer", () => {
  for (const reply of [
    "FINAL(The crisis was driven mainly by ... [sources: doc-12, doc-40])",
    "FINAL(The crisis was driven mainly by ... [1][3])",
    "FINAL(your final answer here)",
    // The first message's own instruction (the fixture store is named "memory").
    'FINAL(Start by searching the "memory" store (default topK 5). Write a ```repl block.)',
    "FINAL(Start by searching the memory store for what these passages do not settle, then answer from the evidence.)",
    "FINAL(Who founded Acme? Who founded Acme?)",
  ]) {
    it(`repl: ${reply}`, async () => {
      const engine = await acmeEngine({ model: always(reply), maxIterations: 3 });
      const result = await engine.query(ACME);
      expect(result.error).toBe("Budget exceeded: maxIterations (limit 3)");
      expect(result.budgetStatus.exceededLimit).toBe("maxIterations");
      expect(result.answer).toContain("Jane Doe");
      expect(result.answer).toContain("[acme]");
      expect(result.reasoningTrace[0]!.output).toMatch(/was not accepted/);
    });
  }

  it("repl: a forced last turn that replies with unfenced code is not the answer", async () => {
    const model = scriptedModel(["```repl\nprint('looking')\n```", "const x = searchDb('Acme'); print(x)"]);
    const engine = await acmeEngine({ model, maxIterations: 1 });
    const result = await engine.query(ACME);
    expect(result.answer).not.toContain("searchDb");
    expect(result.answer).toContain("[acme]");
    expect(result.error).toBe("Budget exceeded: maxIterations (limit 1)");
  });

  it("repl: a genuine short answer that also appears in a document snippet is accepted", async () => {
    const engine = await acmeEngine({ model: scriptedModel(["FINAL(Jane Doe [1])"]), maxIterations: 3 });
    const result = await engine.query(ACME);
    expect(result.answer).toBe("Jane Doe [1]");
    expect(result.error).toBeUndefined();
    const quoted = await acmeEngine({
      model: scriptedModel(["FINAL(Acme Corporation was founded by Jane Doe in 1999.)"]),
      maxIterations: 3,
    });
    const second = await quoted.query(ACME);
    expect(second.answer).toBe("Acme Corporation was founded by Jane Doe in 1999.");
    expect(second.error).toBeUndefined();
  });

  it("tools: an echo of the system prompt is not the answer", async () => {
    const engine = await acmeEngine({
      model: always(
        "Use the searchDb tool, several times with refined queries if needed (multi-hop), before answering.",
      ),
      strategy: "tools",
      maxIterations: 3,
    });
    const result = await engine.query(ACME);
    expect(result.answer).toContain("[acme]");
    expect(result.budgetStatus.exceeded).toBe(true);
  });
});
