import type { DeepRecallResult } from "../../types.ts";

/** A result shaped like a real multi-hop run, with nested objects and optional fields left undefined. */
export function sampleResult(query = "Who founded the company and when?"): DeepRecallResult {
  return {
    answer: "It was founded by Ada Lovelace in 1843.",
    query,
    sources: [
      {
        id: "doc-1",
        content: "Ada Lovelace founded it.",
        metadata: { year: 1843, tags: ["history", "people"] },
        score: 0.91,
      },
      {
        id: "doc-2",
        content: "In 1843 the company began.",
        metadata: { nested: { a: { b: [1, 2, { c: null }] } } },
        score: 0.5,
      },
    ],
    reasoningTrace: [
      {
        iteration: 1,
        modelText: "```repl\nconst hits = searchDb('founder')\nprint(hits.length)\n```",
        code: ["const hits = searchDb('founder')\nprint(hits.length)"],
        output: "2",
        searches: [
          {
            query: "founder",
            topK: 5,
            filters: { year: { $gte: 1800 } },
            hits: 2,
            ids: ["doc-1", "doc-2"],
            timeMs: 3,
            cached: undefined,
          },
        ],
        subLLMCalls: [{ prompt: "summarise", response: "short", depth: 1, timeMs: 12, error: undefined }],
        timeMs: 40,
        usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120 },
        final: undefined,
      },
      {
        iteration: 2,
        modelText: "FINAL(It was founded by Ada Lovelace in 1843.)",
        code: [],
        output: "",
        searches: [],
        subLLMCalls: [],
        timeMs: 10,
        usage: { inputTokens: 150, outputTokens: 15, totalTokens: 165 },
        final: true,
      },
    ],
    usage: {
      inputTokens: 250,
      outputTokens: 35,
      totalTokens: 285,
      calls: 2,
      costUsd: undefined,
      byModel: { "mock-model": { inputTokens: 250, outputTokens: 35, totalTokens: 285, calls: 2 } },
    },
    executionTimeMs: 55,
    budgetStatus: {
      iterations: 2,
      searchCalls: 1,
      tokens: 285,
      elapsedSeconds: 0.055,
      costUsd: null,
      utilization: null,
      exceeded: false,
      exceededLimit: null,
      limits: { maxSearchCalls: undefined, maxIterations: 10 },
    },
    error: undefined,
    confidence: 0.91,
  };
}
