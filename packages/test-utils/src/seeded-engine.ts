import { type AddDocumentsInput, DeepRecallEngine } from "@deeprecall/core";
import type { MockLanguageModelV4 } from "ai/test";
import { InMemoryVectorStore } from "./memory-store.ts";

/** A three-document corpus (Acme, Jane Doe, Paris weather) for adapter tests. */
export const SEED_CORPUS: Required<Pick<AddDocumentsInput, "ids" | "documents" | "metadatas">> = {
  ids: ["acme", "jane", "weather"],
  documents: [
    "Acme Corporation was founded by Jane Doe in 1999.",
    "Jane Doe was born in Lyon, France, and studied physics.",
    "The weather in Paris is mild in spring.",
  ],
  metadatas: [
    { source: "acme.txt", year: 1999 },
    { source: "people.txt", year: 2001 },
    { source: "weather.txt", year: 2020 },
  ],
};

export const SEED_INVESTIGATION = [
  "Let me look.\n```repl\nconst hits = searchDb('Acme founded')\nprint(hits[0].content)\n```",
  "FINAL(Jane Doe founded Acme in 1999.)",
];

/** A real engine over a seeded in-memory store. */
export async function seededEngine(
  model: MockLanguageModelV4,
  options: Partial<ConstructorParameters<typeof DeepRecallEngine>[0]> = {},
): Promise<DeepRecallEngine> {
  const store = new InMemoryVectorStore();
  await store.addDocuments(SEED_CORPUS);
  return new DeepRecallEngine({ vectorStore: store, model, ...options });
}
