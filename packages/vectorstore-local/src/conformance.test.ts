import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeVectorStoreConformance, fakeEmbedding } from "@deeprecall/test-utils";
import { LocalStore } from "./local-store.ts";

const embedding = fakeEmbedding();

function makeLocal(withEmbedding: boolean) {
  return async () => {
    const directory = await mkdtemp(join(tmpdir(), "deeprecall-local-conf-"));
    const open = () => new LocalStore({ directory, ...(withEmbedding ? { embedding } : {}) });
    return {
      store: open(),
      reopen: async () => open(),
      cleanup: () => rm(directory, { recursive: true, force: true }),
    };
  };
}

describeVectorStoreConformance("LocalStore (BM25 only, no embedding)", makeLocal(false), {
  persistent: true,
});
describeVectorStoreConformance("LocalStore (hybrid, fakeEmbedding)", makeLocal(true), {
  persistent: true,
  embed: embedding,
});
