import { describe, expect, it } from "vitest";
import { makeResult } from "./__fixtures__/scripted-engine.ts";
import { citationAnnotations, sourcesByHandle, sourceTitle, sourceUrl } from "./citations.ts";

const source = (id: string, score: number, metadata: Record<string, unknown> = {}) => ({
  id,
  content: `content of ${id}`,
  metadata,
  score,
});

/** A run whose grounding search found b, a (in that order), then a later search found c. */
function run() {
  const sources = [source("a", 0.9, { path: "docs/a.md" }), source("b", 0.8), source("c", 0.5)];
  return makeResult("q", "answer", {
    sources,
    reasoningTrace: [
      {
        iteration: 1,
        modelText: "",
        code: [],
        output: "",
        searches: [
          { query: "q", topK: 5, hits: 2, ids: ["b", "a"], timeMs: 1 },
          { query: "q2", topK: 5, hits: 2, ids: ["a", "c"], timeMs: 1 },
        ],
        subLLMCalls: [],
        timeMs: 1,
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      },
    ],
  });
}

describe("citations", () => {
  it("handles follow the order sources were first found, not their score", () => {
    expect(sourcesByHandle(run()).map((s) => s.id)).toEqual(["b", "a", "c"]);
  });

  it("maps [n], [n, m] and [id] to annotations spanning the citation; uncited sources follow at the end", () => {
    const answer = "B says so [1]. A and C agree [2, 3]. Also [c].";
    const annotations = citationAnnotations(answer, run(), "http://h:1");
    const spans = annotations.map((a) => [
      a.url_citation.title,
      answer.slice(a.url_citation.start_index, a.url_citation.end_index),
    ]);
    expect(spans).toEqual([
      ["b", "[1]"],
      ["docs/a.md", "[2, 3]"],
      ["c", "[2, 3]"],
      ["c", "[c]"],
    ]);
    expect(annotations[0]!.url_citation.url).toBe("http://h:1/v1/documents/b");
  });

  it("numbers past the sources and other brackets are not citations; uncited sources are listed", () => {
    const answer = "See [7] and [note] and [1, x].";
    const annotations = citationAnnotations(answer, run(), "http://h");
    expect(annotations.map((a) => [a.url_citation.title, a.url_citation.start_index])).toEqual([
      ["b", answer.length],
      ["docs/a.md", answer.length],
      ["c", answer.length],
    ]);
    expect(citationAnnotations(answer, makeResult("q", "x"), "http://h")).toEqual([]);
  });

  it("titles and urls from metadata; ids are encoded in links", () => {
    expect(sourceTitle(source("x", 1, { title: "T", source: "s.txt" }))).toBe("T");
    expect(sourceTitle(source("x", 1, { source: "s.txt" }))).toBe("s.txt");
    expect(sourceTitle(source("x", 1))).toBe("x");
    expect(sourceUrl(source("x", 1, { url: "https://e.com/p" }), "http://h")).toBe("https://e.com/p");
    expect(sourceUrl(source("x", 1, { url: "file:///etc/p" }), "http://h/")).toBe("http://h/v1/documents/x");
    expect(sourceUrl(source("a b/c", 1), "http://h")).toBe("http://h/v1/documents/a%20b%2Fc");
  });
});
