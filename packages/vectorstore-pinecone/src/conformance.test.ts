import { describeVectorStoreConformance, fakeEmbedding } from "@deeprecall/test-utils";
import { afterAll, beforeAll } from "vitest";
import { FakePinecone } from "./__fixtures__/fake-pinecone.ts";
import { PineconeStore } from "./pinecone-store.ts";

// 256 dimensions: at 64, hash collisions make the CJK ranking case fail for any dense-only store.
const DIM = 256;
const embedding = fakeEmbedding(DIM);
const API_KEY = "pc-conformance-key-0123456789";
const fake = new FakePinecone({ apiKey: API_KEY });
let counter = 0;

beforeAll(async () => {
  await fake.start();
  fake.createIndex({ name: "conformance", dimension: DIM, metric: "cosine" });
  fake.createIndex({
    name: "conformance-integrated",
    dimension: DIM,
    integrated: { textField: "chunk_text" },
  });
});
afterAll(async () => {
  await fake.stop();
});

describeVectorStoreConformance(
  "PineconeStore (fake Pinecone REST API, one namespace per case)",
  async () => {
    const namespace = `ns-${counter++}`;
    const open = () =>
      new PineconeStore({
        apiKey: API_KEY,
        index: "conformance",
        namespace,
        embedding,
        controllerHostUrl: fake.url,
      });
    // Data lives on the (fake) server, so a new store on the same namespace is a reopen.
    return { store: open(), reopen: async () => open() };
  },
  { persistent: true, embed: embedding },
);

describeVectorStoreConformance(
  "PineconeStore on an index with integrated embedding (fake Pinecone; its hosted model is fakeEmbedding)",
  async () => {
    const namespace = `ns-${counter++}`;
    const open = () =>
      new PineconeStore({
        apiKey: API_KEY,
        index: "conformance-integrated",
        namespace,
        controllerHostUrl: fake.url,
      });
    return { store: open(), reopen: async () => open() };
  },
  // Explicit vectors must come from the index's own model, which the fake stands in for with fakeEmbedding.
  { persistent: true, embed: embedding },
);
