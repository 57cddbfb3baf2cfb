import { describeVectorStoreConformance } from "./conformance.ts";
import { InMemoryVectorStore } from "./memory-store.ts";

// The suite checked against the reference in-memory store (dense only, fakeEmbedding).
describeVectorStoreConformance("InMemoryVectorStore", async () => ({ store: new InMemoryVectorStore() }));
