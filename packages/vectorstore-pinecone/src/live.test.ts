import { fakeEmbedding } from "@deeprecall/test-utils";
import { Pinecone } from "@pinecone-database/pinecone";
import { describe, expect, it } from "vitest";
import { PineconeStore } from "./pinecone-store.ts";

const apiKey = process.env.PINECONE_API_KEY;
const indexName = process.env.PINECONE_INDEX;

/** Pinecone is eventually consistent: poll (bounded) until `check` holds. Not a timing assertion. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Pinecone did not reach: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

describe.skipIf(!apiKey)("PineconeStore against real Pinecone (skipped: PINECONE_API_KEY is not set)", () => {
  it("adds, searches with a filter, counts and deletes in a fresh namespace (needs PINECONE_INDEX)", async () => {
    if (!indexName)
      throw new Error(
        "PINECONE_API_KEY is set but PINECONE_INDEX is not: name an existing index to test against",
      );
    const model = await new Pinecone({ apiKey: apiKey as string }).describeIndex(indexName);
    let dimension: number | undefined;
    try {
      dimension = model.dimension;
    } catch {
      dimension = undefined;
    }
    const namespace = `deeprecall-live-${Date.now()}`;
    const store = new PineconeStore({
      apiKey,
      index: indexName,
      namespace,
      ...(dimension ? { embedding: fakeEmbedding(dimension) } : {}),
    });
    try {
      await store.addDocuments({
        documents: [
          "A guide to baking sourdough bread",
          "A travel guide to Kyoto temples",
          "Rust ownership and borrowing",
        ],
        ids: ["bread", "kyoto", "rust"],
        metadatas: [{ topic: "cooking" }, { topic: "travel" }, { topic: "tech" }],
      });
      await eventually(async () => (await store.count()) === 3, "count 3");
      await eventually(
        async () => (await store.search("Kyoto temples", { topK: 3 }))[0]?.id === "kyoto",
        "kyoto first",
      );
      const travel = await store.search("guide", { topK: 3, filters: { topic: { $ne: "cooking" } } });
      expect(travel.map((h) => h.id).sort()).toEqual(["kyoto", "rust"]);
      for (const hit of travel) {
        expect(hit.score).toBeGreaterThanOrEqual(0);
        expect(hit.score).toBeLessThanOrEqual(1);
      }
      await store.delete(["bread"]);
      await eventually(async () => (await store.count()) === 2, "count 2 after delete");
    } finally {
      await new Pinecone({ apiKey: apiKey as string })
        .index({ name: indexName, namespace })
        .deleteNamespace(namespace)
        .catch(() => undefined);
    }
  }, 300_000);
});
