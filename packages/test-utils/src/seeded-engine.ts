import { type AddDocumentsInput, DeepRecallEngine } from "@deeprecall/core";
import type { MockLanguageModelV4 } from "ai/test";
import { onTestFinished } from "vitest";
import { InMemoryVectorStore } from "./memory-store.ts";

/**
 * A three-document corpus (Acme, Jane Doe, Paris weather) for adapter tests. Acme carries a
 * `title` and the weather page a `url`, so adapters that map metadata to citations (the AI SDK
 * provider's document and url sources) have both shapes to map.
 */
export const SEED_CORPUS: Required<Pick<AddDocumentsInput, "ids" | "documents" | "metadatas">> = {
  ids: ["acme", "jane", "weather"],
  documents: [
    "Acme Corporation was founded by Jane Doe in 1999.",
    "Jane Doe was born in Lyon, France, and studied physics.",
    "The weather in Paris is mild in spring.",
  ],
  metadatas: [
    { source: "acme.txt", year: 1999, title: "Acme history" },
    { source: "people.txt", year: 2001 },
    { source: "weather.txt", year: 2020, url: "https://example.com/weather" },
  ],
};

/** A two-turn REPL investigation over {@link SEED_CORPUS}: one search, then the answer. */
export const SEED_INVESTIGATION = [
  "Let me look.\n```repl\nconst hits = searchDb('Acme founded')\nprint(hits[0].content)\n```",
  "FINAL(Jane Doe founded Acme in 1999.)",
];

/**
 * A real engine over an in-memory store seeded with {@link SEED_CORPUS}. Call it inside a test:
 * the engine (and its sandbox workers) is closed when that test finishes, so no test file keeps
 * its own list of engines to close.
 */
export async function seededEngine(
  model: MockLanguageModelV4,
  options: Partial<ConstructorParameters<typeof DeepRecallEngine>[0]> = {},
): Promise<DeepRecallEngine> {
  const store = new InMemoryVectorStore();
  await store.addDocuments(SEED_CORPUS);
  const engine = new DeepRecallEngine({ vectorStore: store, model, ...options });
  onTestFinished(() => engine.close());
  return engine;
}
