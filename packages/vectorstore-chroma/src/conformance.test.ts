import { describeVectorStoreConformance, fakeEmbedding } from "@deeprecall/test-utils";
import { ChromaClient } from "chromadb";
import { describe, inject } from "vitest";
import { ChromaStore } from "./chroma-store.ts";

const url = inject("chromaUrl");
// 256 dimensions: at 64, hash collisions make the CJK ranking case fail for any dense-only store.
const embedding = fakeEmbedding(256);
let counter = 0;

// Non-empty when no Chroma server can run here (outside CI): the whole suite is skipped, saying why.
const chromaSkip = inject("chromaSkip");

describe.skipIf(chromaSkip)(`ChromaStore conformance${chromaSkip}`, () => {
  describeVectorStoreConformance(
    "ChromaStore (real Chroma server, fakeEmbedding)",
    async () => {
      const collection = `conformance-${process.pid}-${Date.now()}-${counter++}`;
      const open = () => new ChromaStore({ url, collection, embedding });
      return {
        store: open(),
        reopen: async () => open(),
        cleanup: async () => {
          const { hostname, port } = new URL(url);
          await new ChromaClient({ host: hostname, port: Number(port) })
            .deleteCollection({ name: collection })
            .catch(() => undefined);
        },
      };
    },
    { persistent: true, embed: embedding },
  );
});
