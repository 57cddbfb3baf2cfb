import { describe, expect, it } from "vitest";
import { ANSWER } from "./__fixtures__/recorded-stream.ts";
import type { Source, UrlCitation } from "./api-types.ts";
import { citationTarget, linkCitations, sourcesByHandle, sourceTitle } from "./citations.ts";

const ORIGIN = "http://127.0.0.1:8000";

function cite(url: string, title: string, start: number, end: number): UrlCitation {
  return { type: "url_citation", url_citation: { url, title, start_index: start, end_index: end } };
}

describe("citationTarget", () => {
  it("opens this server's document URLs in the console's document view", () => {
    expect(citationTarget(`${ORIGIN}/v1/documents/acme`, ORIGIN)).toEqual({
      href: "#/documents/acme",
      external: false,
    });
    expect(citationTarget(`${ORIGIN}/v1/documents/a%2Fb%20c?collection=wiki`, ORIGIN)).toEqual({
      href: "#/documents/a%2Fb%20c?collection=wiki",
      external: false,
    });
    expect(citationTarget(`${ORIGIN}/#/documents/acme?collection=x`, ORIGIN)).toEqual({
      href: "#/documents/acme?collection=x",
      external: false,
    });
    // Behind a proxy the public URL differs from the page's origin: still a document of this server.
    expect(citationTarget("https://recall.example.com/v1/documents/acme", ORIGIN)?.href).toBe(
      "#/documents/acme",
    );
  });

  it("keeps a source's own http(s) URL and refuses other schemes", () => {
    expect(citationTarget("https://example.org/paper.pdf", ORIGIN)).toEqual({
      href: "https://example.org/paper.pdf",
      external: true,
    });
    expect(citationTarget("javascript:alert(1)", ORIGIN)).toBeNull();
    expect(citationTarget("data:text/html,<script>alert(1)</script>", ORIGIN)).toBeNull();
  });
});

describe("linkCitations", () => {
  const annotations = [
    cite(`${ORIGIN}/v1/documents/acme`, "acme.txt", 37, 40),
    cite(`${ORIGIN}/v1/documents/jane`, "people.txt", 63, 66),
    // an uncited source, at the end of the answer
    cite(`${ORIGIN}/v1/documents/weather`, "weather.txt", ANSWER.length, ANSWER.length),
  ];

  it("makes each cited span a markdown link to its source, leaving the rest of the text alone", () => {
    const md = linkCitations(ANSWER, annotations, ORIGIN);
    expect(md).toBe(
      'Acme was founded by Jane Doe in 1999 [\\[1\\]](<#/documents/acme> "acme.txt"). She was born in Lyon [\\[2\\]](<#/documents/jane> "people.txt").',
    );
  });

  it("links each number of a list citation to its own source", () => {
    const text = "Both facts [1, 2] hold.";
    const md = linkCitations(
      text,
      [cite(`${ORIGIN}/v1/documents/a`, "A", 11, 17), cite(`${ORIGIN}/v1/documents/b`, "B", 11, 17)],
      ORIGIN,
    );
    expect(md).toBe('Both facts \\[[1](<#/documents/a> "A"), [2](<#/documents/b> "B")\\] hold.');
  });

  it("skips stale or hostile annotations instead of corrupting the answer", () => {
    const text = "Plain [1] text.";
    expect(linkCitations(text, [cite(`${ORIGIN}/v1/documents/a`, "A", 0, 5)], ORIGIN)).toBe(text); // not a bracket
    expect(linkCitations(text, [cite(`${ORIGIN}/v1/documents/a`, "A", 6, 99)], ORIGIN)).toBe(text); // out of range
    expect(linkCitations(text, [cite("javascript:alert(1)", "x", 6, 9)], ORIGIN)).toBe(text);
    // A title with quotes and a URL with spaces stay inside the link syntax.
    const md = linkCitations(text, [cite('https://e.org/a b"c', 'say "hi"\n', 6, 9)], ORIGIN);
    expect(md).toBe('Plain [\\[1\\]](<https://e.org/a%20b%22c> "say \\"hi\\" ") text.');
  });
});

describe("sourcesByHandle", () => {
  const source = (id: string): Source => ({ id, content: id, metadata: {}, score: 0.5 });

  it("numbers sources in the order the run first found them, then the rest", () => {
    const sources = [source("c"), source("a"), source("b"), source("z")];
    const ordered = sourcesByHandle(sources, [{ ids: ["a", "x"] }, { ids: ["b", "a", "c"] }]);
    expect(ordered.map((s) => s.id)).toEqual(["a", "b", "c", "z"]);
  });
});

describe("sourceTitle", () => {
  it("prefers title, then source, path, url, else the id", () => {
    expect(sourceTitle({ id: "x", metadata: { source: "a.txt", title: "A" } })).toBe("A");
    expect(sourceTitle({ id: "x", metadata: { path: "/p/a.md" } })).toBe("/p/a.md");
    expect(sourceTitle({ id: "x", metadata: { title: "  " } })).toBe("x");
    expect(sourceTitle({ id: "x" })).toBe("x");
  });
});
