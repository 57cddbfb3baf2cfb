import type { ListOptions, ListPage, Metadata } from "@deeprecall/core";
import { InMemoryVectorStore } from "@deeprecall/test-utils";
import { describe, expect, it } from "vitest";
import { matchesText, searchDocuments } from "./document-search.ts";

const doc = (content: string, metadata: Record<string, unknown> = {}) => ({ id: "x", content, metadata });

describe("matchesText", () => {
  it("matches content and the source, title and path metadata, case-insensitively", () => {
    expect(matchesText(doc("Quarterly REVENUE grew"), "revenue")).toBe(true);
    expect(matchesText(doc("nothing", { source: "Reports/Q3.pdf" }), "q3")).toBe(true);
    expect(matchesText(doc("nothing", { title: "Annual Revenue" }), "annual rev")).toBe(true);
    expect(matchesText(doc("nothing", { path: "/srv/Docs/a.md" }), "docs/a")).toBe(true);
    expect(matchesText(doc("nothing", { author: "revenue" }), "revenue")).toBe(false);
    expect(matchesText(doc("nothing", { source: 42 }), "42")).toBe(false);
    expect(matchesText(doc("nothing"), "revenue")).toBe(false);
  });
});

/** 2,500 documents (more than one store page of 1,000): every 7th mentions "Needle", in mixed case. */
async function bigStore() {
  const store = new InMemoryVectorStore();
  const n = 2500;
  const ids = Array.from({ length: n }, (_, i) => `d${String(i).padStart(5, "0")}`);
  await store.addDocuments({
    ids,
    documents: ids.map((id, i) => (i % 7 === 0 ? `Doc ${id} has a NeEdLe in it.` : `Doc ${id} is hay.`)),
    metadatas: ids.map(
      (id, i): Metadata => (i === 3 ? { title: "The needle chapter" } : { source: `${id}.txt` }),
    ),
  });
  const expected = ids.filter((_, i) => i % 7 === 0 || i === 3);
  // Counts the store's list calls.
  const calls: ListOptions[] = [];
  const list = (options: ListOptions): Promise<ListPage> => {
    calls.push(options);
    return store.list(options);
  };
  return { store, list, calls, expected };
}

describe("searchDocuments", () => {
  it("pages through every match once, in store order, across store pages, at any page size", async () => {
    const { list, expected } = await bigStore();
    for (const limit of [1, 7, 100, 1000]) {
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await searchDocuments(list, { q: "needle", limit, after });
        expect(page.documents.length).toBeLessThanOrEqual(limit);
        seen.push(...page.documents.map((d) => d.id));
        after = page.nextCursor ?? undefined;
        pages++;
      } while (after);
      expect(seen, `limit ${limit}`).toEqual(expected);
      expect(pages).toBeLessThanOrEqual(Math.ceil(expected.length / limit) + 1);
    }
  });

  it("scans on until it has `limit` matches, and says when the store ended", async () => {
    const { list, calls } = await bigStore();
    // One match only, in the third store page: one request scans all three pages.
    const page = await searchDocuments(list, { q: "d02401", limit: 10 });
    expect(page.documents.map((d) => d.id)).toEqual(["d02401"]);
    expect(page.nextCursor).toBeNull();
    expect(calls.length).toBe(3);
    expect(await searchDocuments(list, { q: "no such text", limit: 5 })).toEqual({
      documents: [],
      nextCursor: null,
    });
  });

  it("stops mid-page with a cursor right after the last match returned", async () => {
    const { store, list, expected } = await bigStore();
    const first = await searchDocuments(list, { q: "needle", limit: 2 });
    expect(first.documents.map((d) => d.id)).toEqual(expected.slice(0, 2));
    // The cursor is the store's own: the plain listing resumes right after the second match.
    const next = await store.list({ limit: 1, cursor: first.nextCursor! });
    const after = expected[1]!;
    expect(next.documents[0]!.id > after).toBe(true);
    expect(next.documents[0]!.id).toBe(`d${String(Number(after.slice(1)) + 1).padStart(5, "0")}`);
  });
});
