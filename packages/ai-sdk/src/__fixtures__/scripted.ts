import { type AddDocumentsInput, DeepRecallEngine } from "@deeprecall/core";
import { InMemoryVectorStore, mockUsage, type ScriptedReply, scriptedModel } from "@deeprecall/test-utils";
import type { MockLanguageModelV4 } from "ai/test";

export type Reply = ScriptedReply;
/** The shared scripted LLM double (see @deeprecall/test-utils). */
export const scripted = scriptedModel;
export const usage = mockUsage;

/** Resolves when `signal` aborts, rejecting with its reason: a model call that hangs until cancelled. */
export function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return reject(new Error("the model call got no abort signal"));
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

export const CORPUS: Required<Pick<AddDocumentsInput, "ids" | "documents" | "metadatas">> = {
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

const engines: DeepRecallEngine[] = [];

/** A real DeepRecallEngine over a seeded in-memory store, closed by `closeEngines()`. */
export async function makeEngine(
  model: MockLanguageModelV4,
  options: Partial<ConstructorParameters<typeof DeepRecallEngine>[0]> = {},
) {
  const store = new InMemoryVectorStore();
  await store.addDocuments(CORPUS);
  const engine = new DeepRecallEngine({ vectorStore: store, model, ...options });
  engines.push(engine);
  return { engine, store };
}

export async function closeEngines() {
  await Promise.all(engines.splice(0).map((e) => e.close()));
}
