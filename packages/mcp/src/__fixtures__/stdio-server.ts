// Spawned by stdio.test.ts: `node --conditions=@deeprecall/source stdio-server.ts`.
// A real engine (scripted model, LocalStore in a temp directory) served over MCP stdio until stdin closes.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeepRecallEngine } from "@deeprecall/core";
import {
  SEED_CORPUS as CORPUS,
  SEED_INVESTIGATION as INVESTIGATION,
  scriptedModel as scripted,
} from "@deeprecall/test-utils";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { runStdio } from "../index.ts";

const directory = await mkdtemp(join(tmpdir(), "deeprecall-mcp-stdio-"));
try {
  const store = new LocalStore({ directory });
  await store.addDocuments(CORPUS);
  const engine = new DeepRecallEngine({ vectorStore: store, model: scripted(INVESTIGATION) });
  const session = await runStdio(engine, { closeEngine: true });
  process.stderr.write("deeprecall-mcp-fixture: ready\n");
  await session.closed;
  await store.close();
  process.stderr.write("deeprecall-mcp-fixture: closed\n");
} finally {
  await rm(directory, { recursive: true, force: true });
}
